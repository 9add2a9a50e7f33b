"""The performance harness: every figure of ours as a ratio to floors measured in the same run."""
