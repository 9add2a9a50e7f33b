"""Memory: resident set size at start, after opening every screen, and after scoring keys.

In a child process: the real app (``FieldApp``, collection off while starting and the start-up
heap frozen once the first screen is ready, as ``fieldtui`` runs it) headless on a copy of the
100-station township. RSS (current, not peak; after a collection, so it is what the app keeps)
is read when the first screen is ready, after opening every area, the help screen and the command
palette and coming back, and, when scoring keys are asked for, after the first 100 and after all
of them on the scoring screen (see benchmarks/keys.py for the key plan).

    python -m benchmarks.memory HOME [--scoring-keys N]     # one child (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import HEAVY, Figure, Homes, rss_bytes, run_child

SIZE = (120, 40)
TOUR = ("f3", "f4", "f5", "f6", "f7", "f1", "escape", "ctrl+p", "escape", "f2")


def mib() -> float:
    gc.collect()
    return rss_bytes() / 2**20


async def drive(home: Path, scoring_keys: int, gap: float) -> dict[str, Any]:
    from benchmarks.frames import real_app

    app = real_app(home)
    out: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        while not gc.isenabled():
            await pilot.pause()
        for _ in range(3):
            await pilot.pause()
        await pilot.pause()
        out["rss_start_mib"] = mib()
        seen = []
        for key in TOUR:
            await pilot.press(key)
            for _ in range(3):
                await pilot.pause()
            seen.append((type(app.screen).__name__, round(mib(), 1)))
        out["screens_opened"] = seen  # (screen, RSS MiB after it opened)
        out["rss_after_screens_mib"] = mib()
        out["heavy_after_screens"] = [m for m in HEAVY if m in sys.modules]
        if scoring_keys:
            from benchmarks.keys import score_keys_in_app

            out.update(await score_keys_in_app(app, pilot, scoring_keys, gap, mib))
    return out


def run(homes: Homes, stations: int, scoring_keys: int) -> tuple[list[Figure], dict[str, Any]]:
    home = homes.fresh(stations, "memory")
    try:
        import fieldtui.screens.scoring  # noqa: F401
    except ModuleNotFoundError:  # not merged yet: the screens only
        scoring_keys = 0
    args = [str(home), "--scoring-keys", str(scoring_keys)]
    r = run_child("benchmarks.memory", *args)
    start = r["rss_start_mib"]
    figs = [
        Figure(
            "memory",
            "RSS when the first screen is ready",
            start,
            "MiB",
            "",
            None,
            None,
            f"{stations} stations",
        ),
        Figure(
            "memory",
            "RSS after opening every screen",
            r["rss_after_screens_mib"],
            "MiB",
            "at start",
            start,
            None,
            "areas, help, palette",
        ),
    ]
    if "rss_after_all_keys_mib" in r:
        figs.append(
            Figure(
                "memory",
                f"RSS after {r['scoring_keys']:,} scoring keys",
                r["rss_after_all_keys_mib"],
                "MiB",
                "after 100 keys",
                r["rss_after_100_keys_mib"],
                1.10,
            )
        )
        figs.append(
            Figure(
                "memory",
                f"RSS after {r['scoring_keys']:,} scoring keys, vs start",
                r["rss_after_all_keys_mib"],
                "MiB",
                "at start",
                start,
                None,
            )
        )
    return figs, r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    ap.add_argument("home", type=Path)
    ap.add_argument("--scoring-keys", type=int, default=0)
    ap.add_argument("--gap", type=float, default=5.0, help="ms between a frame and the next key")
    args = ap.parse_args(argv)
    print(json.dumps(asyncio.run(drive(args.home, args.scoring_keys, args.gap / 1000))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
