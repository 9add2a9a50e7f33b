"""County receiver benchmark: pushes per second on loopback, import and report scaling.

    python -m benchmarks.county            # the default figures
    python -m benchmarks.county --quick    # smaller counts

Measures, against a real ``fieldtui county serve`` subprocess (uvicorn on 127.0.0.1):

- batches accepted per second with 1, 10 and 50 concurrent clients (each its own keep-alive
  connection; every batch distinct, ~30 KB, 24 stations), with median and 99th-percentile latency;
- ``county import`` of 50 and 500 e-mailed batches (one command over a folder), and the
  ``county report --json`` over them: time per batch should stay flat (linear scaling). In
  process too: the import path per batch, and the report's own work (reading the batches and
  computing the report, median of 9).

Results are printed and written to ``benchmarks/results/county.json``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from fieldtui.domain.batch import API_PATH
from tests.support.batches import BatchFactory, Sealed
from tests.support.county_server import fieldtui, register_tokens, start_county

PERIODS = ("2023Q1", "2023Q2", "2023Q3", "2023Q4")


def push_rate(factory: BatchFactory, root: Path, clients: int, count: int) -> dict[str, float]:
    units = [f"推送镇{i:03d}" for i in range(clients)]
    srv = start_county(root / f"push-{clients}", units=units)
    try:
        jobs: list[list[Sealed]] = [[] for _ in range(clients)]
        for i in range(count):
            jobs[i % clients].append(factory.seal(units[i % clients], PERIODS[i % 4]))
        latencies: list[float] = []

        def worker(k: int) -> list[float]:
            out = []
            with httpx.Client(trust_env=False, timeout=60) as c:
                for b in jobs[k]:
                    t = time.perf_counter()
                    r = c.post(
                        srv.url + API_PATH, content=b.body, headers=b.headers(srv.tokens[units[k]])
                    )
                    out.append(time.perf_counter() - t)
                    assert r.status_code == 201, r.text
            return out

        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            for lat in pool.map(worker, range(clients)):
                latencies.extend(lat)
        wall = time.perf_counter() - t0
        assert sum(srv.copies().values()) == count
    finally:
        srv.stop()
    latencies.sort()
    return {
        "clients": clients,
        "batches": count,
        "seconds": round(wall, 3),
        "per_second": round(count / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "bytes": round(statistics.mean(len(b.body) for job in jobs for b in job)),
    }


def import_and_report(factory: BatchFactory, root: Path, count: int) -> dict[str, float]:
    """``county import`` of ``count`` files (the command, and the same path in-process), and the
    report over them (the command, and ``county_report`` in-process)."""
    from fieldtui.campaigns import load_all
    from fieldtui.county.intake import submit
    from fieldtui.county.report import county_report
    from fieldtui.county.store import open_county
    from fieldtui.domain.progress import china_now

    units = [f"邮件镇{i:03d}" for i in range(count // len(PERIODS) + 1)]
    inbox = root / f"inbox-{count}"
    inbox.mkdir()
    bodies = []
    for i in range(count):
        b = factory.seal(units[i // len(PERIODS)], PERIODS[i % len(PERIODS)])
        (inbox / f"{b.batch_id}.json").write_bytes(b.body)
        bodies.append(b.body)

    home = root / f"import-{count}"
    register_tokens(home, units)
    t0 = time.perf_counter()
    out = fieldtui(home, "county", "import", "--json", str(inbox), timeout=3600)
    cli_import = time.perf_counter() - t0
    assert json.loads(out.stdout)["stored"] == count
    t0 = time.perf_counter()
    rep = fieldtui(home, "county", "report", "--json", timeout=3600)
    cli_report = time.perf_counter() - t0
    assert sum(len(p["townships"]) for p in json.loads(rep.stdout)["periods"]) == count

    home2 = root / f"import-inproc-{count}"
    register_tokens(home2, units)
    campaigns = load_all(home2)
    with open_county(home2) as store:
        t0 = time.perf_counter()
        for body in bodies:
            assert submit(store, campaigns, body, source="import").created
        inproc_import = time.perf_counter() - t0
        # What `county report` does after its start: read the batches, compute the report.
        times = []
        for _ in range(9):
            t0 = time.perf_counter()
            try:
                batches = store.batches(factory.campaign.id, receipts=False)
            except TypeError:  # a build from before receipts could be left out (before/after)
                batches = store.batches(factory.campaign.id)
            county_report(factory.campaign, [u.name for u in store.units()], batches, china_now())
            times.append(time.perf_counter() - t0)
        report_s = statistics.median(times)
    return {
        "batches": count,
        "cli_import_s": round(cli_import, 3),
        "cli_report_s": round(cli_report, 3),
        "import_ms_per_batch": round(inproc_import / count * 1000, 2),
        "report_ms_per_batch": round(report_s / count * 1000, 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.county")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    scale = 0.2 if args.quick else 1.0
    results: dict[str, object] = {"python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        factory = BatchFactory(root / "township")
        pushes = []
        for clients, count in ((1, 200), (10, 500), (50, 1000)):
            r = push_rate(factory, root, clients, max(clients, int(count * scale)))
            pushes.append(r)
            print(f"push  {clients:>2} clients: {r['per_second']:>7} batches/s  "
                  f"p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  ({r['batches']} batches, mean {r['bytes']} B)")  # fmt: skip
        results["push"] = pushes
        imports = []
        for count in (50, 500):
            r = import_and_report(factory, root, count if count == 50 else int(count * scale))
            imports.append(r)
            print(f"{r['batches']:>4} batches: county import {r['cli_import_s']} s, "
                  f"county report {r['cli_report_s']} s (commands); in-process "
                  f"{r['import_ms_per_batch']} ms/batch import, "
                  f"{r['report_ms_per_batch']} ms/batch report")  # fmt: skip
        results["import"] = imports
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "county.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
