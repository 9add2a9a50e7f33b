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
import gc
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
    work: list[float] = []
    cpu: list[float] = []
    with GcWatch() as watch:
        for k in plan[WARM:]:
            t, w, c = await press(app, clock, k, gap)
            lat.append(t)
            work.append(w)
            cpu.append(c)
    return {
        **summary(lat, work, cpu),
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


async def open_for_scoring(app: Any, pilot: Any) -> int:
    """In a running FieldApp: open the scoring screen on a station without a draft (a new visit
    dated today), as the ledger's R key does; returns the station's id."""
    from textual.screen import ModalScreen

    while not gc.isenabled():  # the app turns collection on when its first screen is ready
        await pilot.pause()
    store, campaign = app.store, app.campaign
    drafts = store.assessments.draft_stations(campaign.id)
    sid = next(r.id for r in store.stations.refs() if r.id not in drafts and r.archived is None)
    await app.open_scoring(sid)
    for _ in range(6):
        await pilot.pause()
    while isinstance(app.screen, ModalScreen):  # the picker, if it came first
        app.screen.dismiss(None)
        await pilot.pause()
    screen = app.screen
    assert type(screen).__name__ == "ScoringScreen" and screen.station.id == sid, screen
    return int(sid)


def saved(app: Any) -> bool:
    """Every change of the screen reached the database (the writer drained, nothing marked)."""
    screen = app.screen
    if screen.writer is not None:
        screen.writer.drain()
    return not screen.marks


async def drive_ours(home: Path, keys: int, gap: float) -> dict[str, Any]:
    from benchmarks.frames import real_app

    app = real_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await open_for_scoring(app, pilot)
        result = await measure(app, pilot, key_plan(WARM + keys), gap)
        await pilot.pause()
        result["all_saved"] = saved(app)
    return result


async def score_keys_in_app(
    app: Any, pilot: Any, keys: int, gap: float, mib: Callable[[], float]
) -> dict[str, Any]:
    """In a running FieldApp: open the scoring screen and press ``keys`` scoring keys (the plan
    above, from its first key), noting RSS after the first 100 and after all
    (benchmarks/memory.py)."""
    from benchmarks.frames import FrameClock, press

    await open_for_scoring(app, pilot)
    clock = FrameClock(app)
    out: dict[str, Any] = {"scoring_keys": keys}
    for i, k in enumerate(key_plan(keys), 1):
        await press(app, clock, k, gap)
        if i == 100:
            out["rss_after_100_keys_mib"] = mib()
    await pilot.pause()
    out["all_saved"] = saved(app)
    out["rss_after_all_keys_mib"] = mib()
    return out


# Keys to score a station, on the real screen: (name, keys, total expected).
DEDUCTIONS = (3, 17, 23, 37, 55)
SCENARIOS = {
    "full marks": ["f", "c", "enter"],
    "five deductions": [*(k for n in DEDUCTIONS for k in ("g", *str(n), "n")), "f", "c", "enter"],
}


async def drive_count(home: Path) -> dict[str, Any]:
    """Press each scenario's keys on a new visit and check what was stored: keys to score."""
    from benchmarks.frames import real_app
    from fieldtui.domain.scoring import compute

    app = real_app(home)
    out: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        c = app.campaign
        for name, plan in SCENARIOS.items():
            sid = await open_for_scoring(app, pilot)
            for k in plan:
                await pilot.press(k)
            for _ in range(4):
                await pilot.pause()
            assert saved(app)
            visits = [v for v in app.store.assessments.visit_refs(c.id) if v.station_id == sid]
            latest = app.store.assessments.get(max(v.id for v in visits))
            result = compute(c, latest.sheet())
            lost = sum(c.item(n).max for n in DEDUCTIONS) if name != "full marks" else 0
            out[name] = {
                "keys": len(plan),
                "complete": latest.complete,
                "total": result.total,
                "expected": 100 - lost,
            }
            assert latest.complete and result.total == 100 - lost, out[name]
    return out


def noise_floor(target_ms: float, samples: int, gap: float) -> dict[str, Any]:
    """The machine's own jitter: a fixed piece of pure-Python work about as long as one of our
    keys, repeated with the same pause between runs. Its p99/p50 is what the machine adds by
    itself (other processes, frequency scaling) to any press-to-frame p99/p50 measured here."""
    import statistics
    import time

    def work(n: int) -> int:
        acc = 0
        for i in range(n):
            acc += i * i
        return acc

    n = 200_000
    work(n)
    t = time.perf_counter()
    work(n)
    per = (time.perf_counter() - t) / n
    n = max(int(target_ms / 1000 / per), 1000)
    lat = []
    for _ in range(samples):
        time.sleep(gap)
        t = time.perf_counter()
        work(n)
        lat.append(time.perf_counter() - t)
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {"p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}


def run(
    homes: Homes, rounds: int, keys: int, township: int = 100
) -> tuple[list[Figure], dict[str, Any]]:
    runs: dict[str, list[dict[str, Any]]] = {"naive": [], "ours": []}
    for r in range(rounds):
        for kind in ("naive", "ours"):
            home = homes.fresh(township, f"keys-{kind}-{r}")
            runs[kind].append(run_child("benchmarks.keys", kind, str(home), "--keys", str(keys)))
    med = {
        k: {f: median([x[f] for x in v]) for f in v[0] if isinstance(v[0][f], float)}
        for k, v in runs.items()
    }
    naive, ours = med["naive"], med["ours"]
    noise = run_child(
        "benchmarks.keys", "noise", "-", "--keys", str(keys), "--target-ms", f"{ours['p50_ms']:.3f}"
    )
    counts = run_child("benchmarks.keys", "count", str(homes.fresh(township, "keys-count")))
    unsaved = [i for i, x in enumerate(runs["ours"]) if not x["all_saved"]]
    if unsaved:
        raise RuntimeError(f"scoring runs {unsaved} ended with changes not saved")

    figs = [
        Figure(
            "scoring keys",
            "CPU per key",
            ours["cpu_ms_per_key"],
            "ms",
            "naive",
            naive["cpu_ms_per_key"],
            0.25,
            "autosave on: every key committed",
        ),
    ]
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
    figs.append(
        Figure(
            "scoring keys",
            "frame work p99 vs its p50",
            ours["work_p99_ms"],
            "ms",
            "our p50",
            ours["work_p50_ms"],
            2.0,
            "main-thread CPU from press to frame: the stalls that are ours",
        )
    )
    figs.append(
        Figure(
            "scoring keys",
            "machine noise: fixed work p99 vs p50",
            noise["p99_ms"],
            "ms",
            "its p50",
            noise["p50_ms"],
            None,
            "what the machine adds by itself",
        )
    )
    figs.append(
        Figure(
            "scoring keys",
            "naive checklist: press-to-frame p99 vs p50",
            naive["p99_ms"],
            "ms",
            "its p50",
            naive["p50_ms"],
            None,
        )
    )
    for name, c in counts.items():
        figs.append(
            Figure(
                "scoring keys",
                f"keys to score a station, {name}",
                c["keys"],
                "",
                "one key per item",
                57,
                None,
                f"total {c['total']:g}, completed",
            )
        )
    details = {
        "medians": med,
        "runs": runs,
        "keys": keys,
        "rounds": rounds,
        "noise": noise,
        "keys_to_score": counts,
    }
    return figs, details


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.keys")
    ap.add_argument("kind", choices=("naive", "ours", "count", "noise"))
    ap.add_argument("home", type=Path)
    ap.add_argument("--keys", type=int, default=500)
    ap.add_argument("--gap", type=float, default=20.0, help="ms between a frame and the next key")
    ap.add_argument("--target-ms", type=float, default=2.0, help="noise: work per sample")
    args = ap.parse_args(argv)
    gap = args.gap / 1000
    if args.kind == "noise":
        out = noise_floor(args.target_ms, args.keys, gap)
    elif args.kind == "count":
        out = asyncio.run(drive_count(args.home))
    else:
        drive = drive_naive if args.kind == "naive" else drive_ours
        out = asyncio.run(drive(args.home, args.keys, gap))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
