"""The performance harness: ``make bench`` (``python -m benchmarks``).

Measures our app and the two floors (benchmarks/floors.py) in the same run and prints every
figure of ours as a ratio to its reference, with the budget verdict; writes everything to
``benchmarks/results/latest.json``. benchmarks/README.md explains each figure.

    python -m benchmarks                  # the full run (~10 minutes)
    python -m benchmarks --quick          # fewer rounds and keys (~3 minutes)
    python -m benchmarks --smoke          # tiny counts: checks the harness works (tests/bench)
    python -m benchmarks --only startup,filter
    python -m benchmarks --baseline       # also write benchmarks/results/baseline.json

Exits 1 when a check fails (a heavy module loaded at the first screen, a section that crashed);
a budget not met is reported, not a failure: timings on a shared machine are evidence, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, Figure, Homes, table, warm_bytecode


@dataclass(frozen=True)
class Plan:
    startup_rounds: int
    import_rounds: int
    stations: tuple[int, ...]  # start-up: empty, a township, a county
    key_rounds: int
    keys: int
    memory_keys: int
    filter_sizes: tuple[int, ...]
    filter_keys: int
    batch_sizes: tuple[int, ...]
    batch_runs: int
    push: tuple[tuple[int, int], ...]  # (clients, batches)
    imports: tuple[int, int]  # county import: few and many batches


PLANS = {
    "full": Plan(
        11,
        5,
        (0, 100, 1000),
        3,
        500,
        3000,
        (100, 1000),
        300,
        (100, 1000),
        3,
        ((1, 200), (10, 500), (50, 1000)),
        (50, 500),
    ),
    "quick": Plan(
        5,
        3,
        (0, 100, 1000),
        1,
        200,
        600,
        (100, 1000),
        100,
        (100, 1000),
        1,
        ((1, 50), (10, 150), (50, 300)),
        (50, 500),
    ),
    "smoke": Plan(
        1, 1, (0, 10, 30), 1, 10, 110, (10, 30), 12, (10, 30), 1, ((1, 4), (2, 6), (3, 9)), (4, 8)
    ),
}
SECTIONS = ("startup", "keys", "memory", "filter", "batches", "county")


def section_startup(plan: Plan, homes: Homes) -> tuple[list[Figure], Any, list[str]]:
    from benchmarks import startup

    return startup.run(homes, plan.startup_rounds, plan.import_rounds, plan.stations)


def section_keys(plan: Plan, homes: Homes) -> tuple[list[Figure], Any, list[str]]:
    from benchmarks import keys

    figs, details = keys.run(homes, plan.key_rounds, plan.keys, township=plan.stations[1])
    return figs, details, []


def section_memory(plan: Plan, homes: Homes) -> tuple[list[Figure], Any, list[str]]:
    from benchmarks import memory

    figs, details = memory.run(homes, plan.stations[1], plan.memory_keys)
    return figs, details, []


def section_filter(plan: Plan, homes: Homes) -> tuple[list[Figure], Any, list[str]]:
    from benchmarks import ledger_filter

    figs, details = ledger_filter.run(homes, plan.filter_sizes, plan.filter_keys)
    return figs, details, []


def section_batches(plan: Plan, homes: Homes) -> tuple[list[Figure], Any, list[str]]:
    from benchmarks.batches import run_on

    figs, details = [], {}
    for n in plan.batch_sizes:
        r = run_on(homes.get(n), homes.base / "runs", plan.batch_runs)
        details[str(n)] = r
        budget = {100: 1000.0, 1000: 5000.0}.get(n)
        ref = f"budget {budget / 1000:g} s" if budget else ""
        figs.append(
            Figure(
                "seal + export",
                f"seal + export a quarter, {n:,} stations",
                r["seal+export"] * 1000,
                "ms",
                ref,
                budget,
                1.0 if budget else None,
                f"{r['bytes'] / 1e6:.1f} MB of files",
            )
        )
        figs.append(
            Figure(
                "seal + export",
                f"of which seal, {n:,} stations",
                r["seal"] * 1000,
                "ms",
                "",
                None,
                None,
            )
        )
    return figs, details, []


def section_county(plan: Plan, homes: Homes) -> tuple[list[Figure], Any, list[str]]:
    from benchmarks.county import import_and_report, push_rate
    from tests.support.batches import BatchFactory

    root = homes.base / "county"
    root.mkdir(parents=True, exist_ok=True)
    factory = BatchFactory(root / "township")
    figs: list[Figure] = []
    pushes = []
    for clients, count in plan.push:
        r = push_rate(factory, root, clients, max(clients, count))
        pushes.append(r)
        figs.append(
            Figure(
                "county server",
                f"batches/s, {clients} concurrent clients",
                r["per_second"],
                "/s",
                "",
                None,
                None,
                f"{r['batches']} batches of {r['bytes'] / 1000:.0f} kB",
            )
        )
        figs.append(
            Figure(
                "county server",
                f"p99 latency, {clients} clients",
                r["p99_ms"],
                "ms",
                "its p50",
                r["p50_ms"],
                None,
            )
        )
    few, many = plan.imports
    imports = [import_and_report(factory, root, few), import_and_report(factory, root, many)]
    a, b = imports
    figs.append(
        Figure(
            "county import",
            f"import, per batch, {many} batches",
            b["import_ms_per_batch"],
            "ms",
            f"at {few}",
            a["import_ms_per_batch"],
            1.5,
            "linear: the ratio stays near 1",
        )
    )
    figs.append(
        Figure(
            "county import",
            f"report, per batch, {many} batches",
            b["report_ms_per_batch"],
            "ms",
            f"at {few}",
            a["report_ms_per_batch"],
            1.5,
            "linear: the ratio stays near 1",
        )
    )
    figs.append(
        Figure(
            "county import",
            f"`county import` command, {many} batches",
            b["cli_import_s"] * 1000,
            "ms",
            f"{few} batches x{many // few}",
            a["cli_import_s"] * 1000 * many / few,
            None,
            "includes the process start",
        )
    )
    figs.append(
        Figure(
            "county import",
            f"`county report` command, {many} batches",
            b["cli_report_s"] * 1000,
            "ms",
            "",
            None,
            None,
        )
    )
    return figs, {"push": pushes, "import": imports}, []


RUNNERS: dict[str, Callable[[Plan, Homes], tuple[list[Figure], Any, list[str]]]] = {
    "startup": section_startup,
    "keys": section_keys,
    "memory": section_memory,
    "filter": section_filter,
    "batches": section_batches,
    "county": section_county,
}


def machine() -> dict[str, Any]:
    import textual

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "textual": getattr(textual, "__version__", "?"),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    if hasattr(os, "getloadavg"):
        info["load_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer rounds and keys")
    size.add_argument("--smoke", action="store_true", help="tiny counts: does the harness work")
    ap.add_argument("--only", help=f"comma-separated sections of {','.join(SECTIONS)}")
    ap.add_argument("--json", type=Path, help="write here instead of results/latest.json")
    ap.add_argument("--baseline", action="store_true", help="also write results/baseline.json")
    args = ap.parse_args(argv)
    name = "smoke" if args.smoke else "quick" if args.quick else "full"
    plan = PLANS[name]
    sections = args.only.split(",") if args.only else list(SECTIONS)
    unknown = [s for s in sections if s not in RUNNERS]
    if unknown:
        ap.error(f"unknown section(s): {', '.join(unknown)}")

    started = time.monotonic()
    info = machine()
    print(
        f"fieldtui benchmarks ({name}): Python {info['python']}, Textual {info['textual']}, "
        f"{info['cpus']} CPUs, load {info.get('load_at_start', '?')}",
        flush=True,
    )
    warm_bytecode()
    homes = Homes()
    figures: list[Figure] = []
    details: dict[str, Any] = {}
    problems: list[str] = []
    try:
        for s in sections:
            t0 = time.monotonic()
            print(f"  {s} …", end="", flush=True)
            try:
                figs, det, probs = RUNNERS[s](plan, homes)
            except Exception as exc:
                problems.append(f"{s}: crashed: {exc}")
                details[s] = {"error": traceback.format_exc()}
                print(" CRASHED", flush=True)
                continue
            figures += figs
            details[s] = det
            problems += probs
            print(f" {time.monotonic() - t0:.0f} s", flush=True)
    finally:
        homes.close()
    if hasattr(os, "getloadavg"):
        info["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    info["seconds"] = round(time.monotonic() - started, 1)

    print()
    print(table(figures))
    verdicts = [f for f in figures if f.verdict]
    missed = [f for f in verdicts if f.verdict != "met"]
    print(
        f"\nbudgets: {len(verdicts) - len(missed)} of {len(verdicts)} met"
        + (f"; not met: {', '.join(f.name for f in missed)}" if missed else "")
    )
    for p in problems:
        print(f"PROBLEM: {p}")
    print(f"({info['seconds']:.0f} s; load {info.get('load_at_end', '?')} at the end)")

    result = {
        "plan": {"name": name, **asdict(plan)},
        "machine": info,
        "figures": [f.as_dict() for f in figures],
        "problems": problems,
        "details": details,
    }
    out = args.json or RESULTS / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n"
    out.write_text(text, encoding="utf-8")
    if args.baseline:
        (RESULTS / "baseline.json").write_text(text, encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
