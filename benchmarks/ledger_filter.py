"""Ledger filter-as-you-type: the work of one key in the filter, over 100 and 1,000 stations.

In a child process per size: the real app (``FieldApp``) headless at 120x40 on a copy of the demo
township, the ledger opened (F3, its table built: timed too), the filter focused (/), then queries
typed one key at a time and erased again with backspace, each key a refilter of every station:
full pinyin (``yongfeng``), initials (``yf``), Chinese (``永丰``, as an input method commits it,
one character per key), a phone prefix (``138``), a state (``达标``). Per key: CPU from the press
until the frame is drawn and the typist's pause begins, and press-to-frame latency.

    python -m benchmarks.ledger_filter HOME [--keys N]      # one child (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import FRAME_MS, Figure, Homes, run_child

QUERIES = ("yongfeng", "yf", "永丰", "138", "达标")
SIZE = (120, 40)


def key_plan(n: int) -> list[str]:
    keys: list[str] = []
    while len(keys) < n:
        for q in QUERIES:
            keys.extend(q)
            keys.extend(["backspace"] * len(q))
    return keys[:n]


async def drive(home: Path, keys: int, gap: float) -> dict[str, Any]:
    from benchmarks.frames import FrameClock, GcWatch, press, real_app, summary

    app = real_app(home)
    async with app.run_test(size=SIZE) as pilot:
        while not gc.isenabled():  # the app turns collection on when its first screen is ready
            await pilot.pause()
        await pilot.pause()
        clock = FrameClock(app)
        c0, t0 = time.process_time(), time.perf_counter()
        await pilot.press("f3")
        while type(app.screen).__name__ != "LedgerScreen":
            await pilot.pause()
        await pilot.pause()
        open_ms = (time.perf_counter() - t0) * 1000
        open_cpu_ms = (time.process_time() - c0) * 1000
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "ledger-filter", app.focused
        for k in key_plan(20):  # warm: first refilters build caches
            await press(app, clock, k, gap)
        lat: list[float] = []
        work: list[float] = []
        cpu: list[float] = []
        with GcWatch() as watch:
            for k in key_plan(keys):
                t, w, c = await press(app, clock, k, gap)
                lat.append(t)
                work.append(w)
                cpu.append(c)
        table = app.screen.query_one("#ledger-table")
        stations = table.total_count  # type: ignore[attr-defined]
    return {
        **summary(lat, work, cpu),
        "stations": stations,
        "open_ledger_ms": open_ms,
        "open_ledger_cpu_ms": open_cpu_ms,
        "gc_collections": watch.count,
        "gc_longest_ms": watch.longest_ms,
    }


def run(homes: Homes, sizes: tuple[int, ...], keys: int) -> tuple[list[Figure], dict[str, Any]]:
    figs: list[Figure] = []
    details: dict[str, Any] = {}
    for n in sizes:
        home = homes.fresh(n, f"filter-{n}")
        r = run_child("benchmarks.ledger_filter", str(home), "--keys", str(keys))
        details[str(n)] = r
        what = f"{n:,} stations"
        figs.append(
            Figure(
                "ledger filter",
                f"CPU per key, {what}",
                r["cpu_ms_per_key"],
                "ms",
                "one frame",
                FRAME_MS,
                1.0,
                "pinyin, initials, Chinese, digits",
            )
        )
        figs.append(
            Figure(
                "ledger filter",
                f"press-to-frame p99, {what}",
                r["p99_ms"],
                "ms",
                "one frame",
                FRAME_MS,
                None,
            )
        )
        figs.append(
            Figure(
                "ledger filter",
                f"open the ledger (F3), {what}",
                r["open_ledger_cpu_ms"],
                "ms",
                "",
                None,
                None,
                "CPU",
            )
        )
    return figs, details


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ledger_filter")
    ap.add_argument("home", type=Path)
    ap.add_argument("--keys", type=int, default=200)
    ap.add_argument("--gap", type=float, default=30.0, help="ms between a frame and the next key")
    args = ap.parse_args(argv)
    print(json.dumps(asyncio.run(drive(args.home, args.keys, args.gap / 1000))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
