"""Scoring keys: CPU per key and press-to-frame latency, our scoring screen against the naive
checklist (benchmarks/floors.py), with every key saved.

Each app runs in a child process of its own (fresh heap, its own GC state), alternating naive and
ours, on a copy of the same 100-station township, at the same terminal size, with the same keys:
passes down the 57 items pressing ``y`` (full marks and next) or ``n`` (zero and next), alternating
per pass so that every key changes a score, and ``home`` at the end of each pass. The first pass
warms both up and is not counted. Keys are injected as the terminal driver would (one key event,
no Pilot waiting), and the next key is sent ``gap`` after the last frame (a fast typist).

- CPU per key: ``time.process_time()`` from the press until the next key (every thread: handler,
  commit, render, collections), averaged.
- Press-to-frame: from injecting the key to the end of the first frame drawn after it, the frame
  converted to terminal output (benchmarks/frames.py).

    python -m benchmarks.keys naive|ours HOME [--keys N]    # one child (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import Figure, Homes, median, run_child

SIZE = (80, 24)
WARM = 58  # one pass


def key_plan(n: int) -> list[str]:
    keys: list[str] = []
    full = True
    while len(keys) < n:
        keys.extend(["y" if full else "n"] * 57)
        keys.append("home")
        full = not full
    return keys[:n]


async def measure(app: Any, pilot: Any, plan: list[str], gap: float) -> dict[str, Any]:
    from benchmarks.frames import FrameClock, GcWatch, press, summary

    clock = FrameClock(app)
    for k in plan[:WARM]:
        await press(app, clock, k, gap)
    lat: list[float] = []
    cpu: list[float] = []
    with GcWatch() as watch:
        for k in plan[WARM:]:
            t, c = await press(app, clock, k, gap)
            lat.append(t)
            cpu.append(c)
    return {
        **summary(lat, cpu),
        "gc_collections": watch.count,
        "gc_longest_ms": watch.longest_ms,
        "terminal_bytes_per_frame": clock.bytes / max(len(clock.frames), 1),
    }


async def drive_naive(home: Path, keys: int, gap: float) -> dict[str, Any]:
    from benchmarks.floors import NaiveChecklist

    app = NaiveChecklist(home)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await pilot.pause()
        return await measure(app, pilot, key_plan(WARM + keys), gap)


async def drive_ours(home: Path, keys: int, gap: float) -> dict[str, Any]:
    raise NotImplementedError("the scoring screen is not on this branch yet")


async def score_keys_in_app(
    app: Any, pilot: Any, keys: int, gap: float, mib: Callable[[], float]
) -> dict[str, Any]:
    """In a running FieldApp: open the scoring screen on the first station and press ``keys``
    scoring keys, noting RSS after the first 100 and after all (benchmarks/memory.py)."""
    raise NotImplementedError("the scoring screen is not on this branch yet")


def run(
    homes: Homes, rounds: int, keys: int, township: int = 100
) -> tuple[list[Figure], dict[str, Any]]:
    runs: dict[str, list[dict[str, Any]]] = {"naive": [], "ours": []}
    kinds = ["naive"]
    try:
        import fieldtui.screens.scoring  # noqa: F401

        kinds.append("ours")
    except ModuleNotFoundError:
        pass
    for r in range(rounds):
        for kind in kinds:
            home = homes.fresh(township, f"keys-{kind}-{r}")
            runs[kind].append(run_child("benchmarks.keys", kind, str(home), "--keys", str(keys)))
    med = {
        k: {f: median([x[f] for x in v]) for f in v[0] if isinstance(v[0][f], float)}
        for k, v in runs.items()
        if v
    }
    figs: list[Figure] = []
    naive = med["naive"]
    figs.append(
        Figure(
            "scoring keys",
            "naive checklist: CPU per key",
            naive["cpu_ms_per_key"],
            "ms",
            "",
            None,
            None,
            "the floor",
        )
    )
    figs.append(
        Figure(
            "scoring keys",
            "naive checklist: press-to-frame p99",
            naive["p99_ms"],
            "ms",
            "its p50",
            naive["p50_ms"],
            None,
        )
    )
    if "ours" in med:
        ours = med["ours"]
        figs.append(
            Figure(
                "scoring keys",
                "CPU per key",
                ours["cpu_ms_per_key"],
                "ms",
                "naive",
                naive["cpu_ms_per_key"],
                0.25,
            )
        )
        for q in ("p50", "p95", "p99"):
            figs.append(
                Figure(
                    "scoring keys",
                    f"press-to-frame {q}",
                    ours[f"{q}_ms"],
                    "ms",
                    "naive",
                    naive[f"{q}_ms"],
                    None,
                )
            )
        figs.append(
            Figure(
                "scoring keys",
                "press-to-frame p99 vs its own p50",
                ours["p99_ms"],
                "ms",
                "our p50",
                ours["p50_ms"],
                2.0,
            )
        )
    return figs, {"medians": med, "runs": runs, "keys": keys, "rounds": rounds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.keys")
    ap.add_argument("kind", choices=("naive", "ours"))
    ap.add_argument("home", type=Path)
    ap.add_argument("--keys", type=int, default=500)
    ap.add_argument("--gap", type=float, default=30.0, help="ms between a frame and the next key")
    args = ap.parse_args(argv)
    drive = drive_naive if args.kind == "naive" else drive_ours
    print(json.dumps(asyncio.run(drive(args.home, args.keys, args.gap / 1000))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
