"""Seal + export of a quarter for a demo township: `python -m benchmarks.batches [N ...]`.

Targets (issue 4): 100 stations under 1 s, 1,000 stations under 5 s, on this kind of machine.
Each figure is the best of three runs of seal (from scratch) plus export into an empty folder;
the first run of a size includes sealing, later ones find the batch unchanged, so sealing is timed
separately on a fresh database as well.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def run(n: int, period: str = "2023Q4") -> dict[str, float]:
    from fieldtui.campaigns import active
    from fieldtui.demo import fill_demo
    from fieldtui.settings import load_settings
    from fieldtui.store.store import open_store
    from fieldtui.sync.export import export_period
    from fieldtui.sync.seal import seal_period

    best_first = best_again = best_seal = float("inf")
    size = 0
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            settings = load_settings(home)
            settings.set("unit", "龙河镇")
            settings.set("officer", "冉小明")
            settings.save()
            campaign = active(home)
            store = open_store(home)
            fill_demo(store, campaign, n)
            t = time.perf_counter()
            r = export_period(store, campaign, settings, period, Path(tmp) / "out1")
            best_first = min(best_first, time.perf_counter() - t)
            size = sum(p.stat().st_size for p in r.files)
            t = time.perf_counter()
            export_period(store, campaign, settings, period, Path(tmp) / "out2")
            best_again = min(best_again, time.perf_counter() - t)
            store.close()
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            settings = load_settings(home)
            settings.set("unit", "龙河镇")
            campaign = active(home)
            store = open_store(home)
            fill_demo(store, campaign, n)
            t = time.perf_counter()
            seal_period(store, campaign, settings, period)
            best_seal = min(best_seal, time.perf_counter() - t)
            store.close()
    return {"seal": best_seal, "seal+export": best_first, "export again": best_again,
            "bytes": float(size)}  # fmt: skip


def run_on(template: Path, work: Path, runs: int = 3, period: str = "2023Q4") -> dict[str, float]:
    """The same figures on copies of a ready demo home (``benchmarks.common.Homes``), the median
    of ``runs``: the harness builds each township once instead of once per run."""
    import statistics

    from benchmarks.common import copy_home
    from fieldtui.campaigns import active
    from fieldtui.settings import load_settings
    from fieldtui.store.store import open_store
    from fieldtui.sync.export import export_period
    from fieldtui.sync.seal import seal_period

    times: dict[str, list[float]] = {"seal": [], "seal+export": [], "export again": []}
    size = 0
    for i in range(runs):
        for what in ("seal", "seal+export"):
            home = copy_home(template, work / f"batches-{i}-{what.replace('+', '-')}")
            settings = load_settings(home)
            campaign = active(home)
            with open_store(home) as store:
                t = time.perf_counter()
                if what == "seal":
                    seal_period(store, campaign, settings, period)
                    times["seal"].append(time.perf_counter() - t)
                    continue
                r = export_period(store, campaign, settings, period, home / "out1")
                times[what].append(time.perf_counter() - t)
                size = sum(p.stat().st_size for p in r.files)
                t = time.perf_counter()
                export_period(store, campaign, settings, period, home / "out2")
                times["export again"].append(time.perf_counter() - t)
    return {**{k: statistics.median(v) for k, v in times.items()}, "bytes": float(size)}


def main(argv: list[str]) -> int:
    import json

    sizes = [int(a) for a in argv] or [100, 1000]
    results = {}
    print(f"{'stations':>8} {'seal s':>8} {'seal+export s':>14} {'export again s':>15} {'MB':>6}")
    for n in sizes:
        r = run(n)
        results[str(n)] = {k: round(v, 3) for k, v in r.items()}
        print(f"{n:>8} {r['seal']:>8.3f} {r['seal+export']:>14.3f} {r['export again']:>15.3f} "
              f"{r['bytes'] / 1e6:>6.1f}")  # fmt: skip
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "batches.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
