"""fieldtui.county."""
