"""The performance harness (benchmarks/, ``make bench``) runs end to end with tiny counts, so it
cannot rot: every section produces its figures, and the first-screen module check holds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.env import REPO, subprocess_env


@pytest.mark.slow
def test_the_harness_runs_every_section_with_tiny_counts(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(out)],
        cwd=REPO,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["problems"] == []
    sections = {f["section"] for f in result["figures"]}
    assert sections == {
        "start-up", "imports", "scoring keys", "memory", "ledger filter", "seal + export",
        "county server", "county import",
    }  # fmt: skip
    by_name = {f["name"]: f for f in result["figures"]}
    assert by_name["heavy or lazy modules at the first screen"]["value"] == 0
    assert by_name["keys to score a station, full marks"]["value"] == 3
    for f in result["figures"]:
        assert f["value"] == f["value"] and f["value"] >= 0, f  # a number, not NaN
        if f["limit"] is not None:
            assert f["verdict"] in ("met", "NOT MET"), f
    # The table was printed with the verdicts.
    assert "budgets:" in run.stdout and "[start-up]" in run.stdout
    assert "PROBLEM" not in run.stdout
