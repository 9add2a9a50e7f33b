"""Scoring keys: CPU per key and press-to-frame latency, our scoring screen against a naive checklist.

Both run headless under Pilot in the same invocation (each in a fresh subprocess, alternating, so
neither inherits the other's heap, caches or GC settings), on a copy of the same database, at the
same terminal size, with the same keys: passes down the 57 items pressing ``y`` (full marks and next)
or ``n`` (zero and next), alternating per pass so every key changes a score, and ``home`` at the
end of each pass. Every key is saved (autosave on): the naive app commits on the UI thread as a
simple app would; ours hands the commit to its writer.

- CPU per key: ``time.process_time()`` over all keys (every thread: handler, commit, render, GC),
  divided by the keys pressed.
- Press-to-frame: from injecting the key to the end of the first frame drawn after it. A frame here
  is the compositor update *and* its conversion to terminal output (``render_segments``), which the
  headless driver would otherwise skip. Keys are spaced by ``--gap`` ms after each frame (a fast
  typist), so the screen's 60 fps timer is idle when a key arrives and the figure is the work done,
  not the timer's phase.
- Memory: resident set size after the first 100 keys and after ``--memory-keys`` keys (ours).

The naive checklist is the floor the performance issue describes: a 61-row DataTable (57 items,
3 bonus items, the veto) whose every key updates one cell and a total label.

Usage::

    python benchmarks/scoring_keys.py                 # 500 keys x 3 rounds, 3,000-key memory run
    python benchmarks/scoring_keys.py --keys 200 --rounds 1 --memory-keys 0   # quick
    python benchmarks/scoring_keys.py --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# -- measuring ------------------------------------------------------------------------------------


def rss_bytes() -> int:
    """Current resident set size (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


class FrameClock:
    """Replaces ``app._display``: renders each update to terminal output and notes when it ends."""

    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate

        self.app = app
        self.frames: list[float] = []
        self.event = asyncio.Event()
        self.bytes = 0
        update_type = CompositorUpdate

        def display(screen: Any, renderable: Any) -> None:
            if renderable is None:
                return
            if isinstance(renderable, update_type):
                self.bytes += len(renderable.render_segments(app.console))
            self.frames.append(time.perf_counter())
            self.event.set()

        app._display = display

    async def next_frame(self, after: int, timeout: float = 5.0) -> float:
        while len(self.frames) <= after:
            self.event.clear()
            if len(self.frames) > after:
                break
            await asyncio.wait_for(self.event.wait(), timeout)
        return self.frames[after]


class GcWatch:
    """Counts collections per generation and the longest one."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.longest = [0.0, 0.0, 0.0]
        self._t = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            g = info["generation"]
            self.count[g] += 1
            self.longest[g] = max(self.longest[g], time.perf_counter() - self._t)


def key_plan(n: int) -> list[str]:
    keys: list[str] = []
    full = True
    while len(keys) < n:
        keys.extend(["y" if full else "n"] * 57)
        keys.append("home")
        full = not full
    return keys[:n]


# -- the two apps ---------------------------------------------------------------------------------


def naive_app(home: Path) -> Any:
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import DataTable, Label

    from fieldtui.campaigns import active
    from fieldtui.domain.scoring import Sheet, compute
    from fieldtui.store.store import open_store

    class NaiveChecklist(App[None]):
        BINDINGS = [
            Binding("y", "score(True)"),
            Binding("n", "score(False)"),
            Binding("home", "top", priority=True),  # the table's own home scrolls sideways
        ]

        def __init__(self) -> None:
            super().__init__()
            self.campaign = active(home, "")
            self.store = open_store(home)
            st = self.store.stations.all()[0]
            self.aid = self.store.assessments.create(st.id, self.campaign, _today(), "bench")
            self.scores: dict[int, float] = {}

        def compose(self) -> ComposeResult:
            yield DataTable(id="table", cursor_type="row")
            yield Label("Total 0", id="total")

        def on_mount(self) -> None:
            c = self.campaign
            t = self.query_one(DataTable)
            t.add_column("No", key="no")
            t.add_column("Item", key="item")
            t.add_column("Max", key="max")
            t.add_column("Score", key="score")
            for it in c.items:
                t.add_row(str(it.number), it.text, f"{it.max:g}", "·", key=str(it.number))
            for b in c.bonus:
                t.add_row(str(b.number), b.text, f"{b.max:g}", "·", key=str(b.number))
            t.add_row(str(c.veto_number), "一票否决", "", "·", key=str(c.veto_number))
            t.focus()

        def action_score(self, full: bool) -> None:
            t = self.query_one(DataTable)
            row = t.cursor_row
            c = self.campaign
            if row < len(c.items):
                n = row + 1
                v = c.item(n).max if full else 0.0
                self.store.assessments.set_score(self.aid, c, n, v, "bench")
                self.scores[n] = v
                t.update_cell(str(n), "score", f"{v:g}")
                total = compute(c, Sheet(scores=self.scores)).total
                self.query_one("#total", Label).update(f"Total {total:g}")
            t.move_cursor(row=min(row + 1, len(c.items) - 1))

        def action_top(self) -> None:
            self.query_one(DataTable).move_cursor(row=0)

    return NaiveChecklist()


def our_app(home: Path) -> Any:
    from textual.app import App

    from fieldtui.campaigns import active
    from fieldtui.screens.keys import set_language
    from fieldtui.screens.scoring import ScoringScreen
    from fieldtui.settings import load_settings
    from fieldtui.store.store import open_store

    class Host(App[None]):
        """Provides what fieldtui.screens.context.AppServices promises, like the real app."""

        MODES = {"scoring": ScoringScreen}

        def __init__(self) -> None:
            set_language("zh")
            super().__init__()
            self.home = home
            self.lang = "zh"
            self.settings = load_settings(home)
            self.campaign = active(home, "")
            self.store = open_store(home)

        def today(self) -> Any:
            return _today()

        def tr(self, zh: str, en: str) -> str:
            return zh

        async def on_mount(self) -> None:
            await self.switch_mode("scoring")
            screen = self.screen
            assert isinstance(screen, ScoringScreen)
            screen.open_station(self.store.stations.all()[0].id)

    return Host()


def _today() -> Any:
    import datetime as dt

    return dt.date(2023, 5, 10)


# -- one child run --------------------------------------------------------------------------------


async def drive(
    kind: str,
    home: Path,
    keys: int,
    gap: float,
    size: tuple[int, int],
    memory_keys: int,
    driver: str,
) -> dict[str, Any]:
    from textual import events

    app = naive_app(home) if kind == "naive" else our_app(home)
    result: dict[str, Any] = {"kind": kind, "size": f"{size[0]}x{size[1]}", "driver": driver}
    async with app.run_test(size=size) as pilot:
        for _ in range(6):
            await pilot.pause()
        if kind == "ours":
            from textual.screen import ModalScreen

            while isinstance(app.screen, ModalScreen):  # the picker, if it beat open_station
                app.screen.dismiss(None)
                await pilot.pause()
        clock = FrameClock(app)

        async def send(k: str) -> None:
            if driver == "pilot":
                await pilot.press(k)
            else:  # what a terminal does: one key event, nothing else
                event = events.Key(k, k if len(k) == 1 else None)
                event.set_sender(app)
                app.post_message(event)

        async def press(k: str) -> float:
            n = len(clock.frames)
            t0 = time.perf_counter()
            await send(k)
            t1 = await clock.next_frame(n)
            if gap:  # quiet for `gap` after the last frame (a key may cause a second one)
                while (idle := time.perf_counter() - clock.frames[-1]) < gap:
                    await asyncio.sleep(gap - idle)
            return t1 - t0

        # One plan for the whole run, so every key changes a score (a pass of y, then of n, ...).
        # Warm up with the first pass, so both have built their caches.
        everything = key_plan(58 + keys + memory_keys)
        for k in everything[:58]:
            await press(k)
        watch = GcWatch()
        gc.callbacks.append(watch)
        plan = everything[58 : 58 + keys]
        lat: list[float] = []
        c0, w0 = time.process_time(), time.perf_counter()
        for k in plan:
            lat.append(await press(k))
        c1, w1 = time.process_time(), time.perf_counter()
        gc.callbacks.remove(watch)
        lat.sort()
        q = statistics.quantiles(lat, n=100, method="inclusive")
        result.update(
            keys=len(plan),
            cpu_ms_per_key=(c1 - c0) / len(plan) * 1000,
            wall_s=w1 - w0,
            p50_ms=q[49] * 1000,
            p95_ms=q[94] * 1000,
            p99_ms=q[98] * 1000,
            max_ms=lat[-1] * 1000,
            gc_collections=watch.count,
            gc_longest_ms=[x * 1000 for x in watch.longest],
            terminal_bytes_per_key=clock.bytes / max(len(clock.frames), 1),
        )
        if memory_keys:
            mplan = everything[58 + keys :]
            rss_100 = 0
            for i, k in enumerate(mplan, 1):
                n = len(clock.frames)
                await send(k)
                await clock.next_frame(n)
                if i == 100:
                    gc.collect()
                    rss_100 = rss_bytes()
            gc.collect()
            rss_end = rss_bytes()
            result.update(
                memory_keys=len(mplan),
                rss_after_100_mib=rss_100 / 2**20,
                rss_after_all_mib=rss_end / 2**20,
                rss_growth=rss_end / rss_100 - 1,
            )
        if kind == "ours":
            screen = app.screen
            writer = getattr(screen, "writer", None)
            if writer is not None:
                writer.drain()
            result["saved_ok"] = not getattr(screen, "marks", {})
    return result


def noise_floor(target_ms: float, samples: int, gap: float) -> dict[str, Any]:
    """The machine's own jitter: a fixed piece of pure-Python work about as long as one key,
    repeated with the same pause between runs. Its p99/p50 is what the box adds by itself."""

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
    return {"p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "p99_over_p50": q[98] / q[49]}


def child_main(args: argparse.Namespace) -> None:
    if args.child == "noise":
        res = noise_floor(args.target_ms, args.keys, args.gap / 1000)
    else:
        w, h = (int(x) for x in args.size.split("x"))
        res = asyncio.run(
            drive(
                args.child,
                Path(args.home),
                args.keys,
                args.gap / 1000,
                (w, h),
                args.memory_keys,
                args.driver,
            )
        )
    print(json.dumps(res))


# -- the parent: prepare, run children, report -----------------------------------------------------


def prepare(base: Path) -> Path:
    """A home with the 2023 campaign and one station (written here, so the children never import
    pypinyin)."""
    from fieldtui.domain.ledger import StationInput
    from fieldtui.settings import load_settings
    from fieldtui.store.store import open_store

    home = base / "template"
    settings = load_settings(home)
    settings.set("officer", "bench")
    settings.save()
    with open_store(home) as store:
        store.stations.add(StationInput(name="永丰村退役军人服务站", village="永丰村"))
    return home


def run_child(base: Path, args: argparse.Namespace, *extra: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--keys",
        str(args.keys),
        "--gap",
        str(args.gap),
        "--size",
        args.size,
        *extra,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(extra)} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_app(
    kind: str, driver: str, template: Path, base: Path, args: argparse.Namespace, memory_keys: int
) -> dict[str, Any]:
    home = base / f"home-{kind}-{driver}-{time.monotonic_ns()}"
    shutil.copytree(template, home)
    return run_child(
        base,
        args,
        "--child",
        kind,
        "--home",
        str(home),
        "--driver",
        driver,
        "--memory-keys",
        str(memory_keys),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--keys", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--gap", type=float, default=30.0, help="ms between a frame and the next key")
    ap.add_argument("--size", default="80x24")
    ap.add_argument("--memory-keys", type=int, default=3000)
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument(
        "--driver",
        choices=["pilot", "direct", "both"],
        default="both",
        help="pilot.press (with Pilot's own waiting), direct key events, or both",
    )
    ap.add_argument("--child", choices=["naive", "ours", "noise"], help=argparse.SUPPRESS)
    ap.add_argument("--home", help=argparse.SUPPRESS)
    ap.add_argument("--target-ms", type=float, default=2.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_main(args)
        return
    drivers = ["pilot", "direct"] if args.driver == "both" else [args.driver]
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        d: {"naive": [], "ours": []} for d in drivers
    }
    with tempfile.TemporaryDirectory(prefix="fieldtui-bench-") as tmp:
        base = Path(tmp)
        template = prepare(base)
        for r in range(args.rounds):
            for driver in drivers:
                for kind in ("naive", "ours"):
                    last = r == args.rounds - 1 and driver == drivers[-1]
                    mem = args.memory_keys if (kind == "ours" and last) else 0
                    res = run_app(kind, driver, template, base, args, mem)
                    runs[driver][kind].append(res)
                    print(
                        f"  round {r + 1} {driver:6} {kind:5}: {res['cpu_ms_per_key']:6.2f} ms CPU/key"
                        f"  p50 {res['p50_ms']:6.2f}  p95 {res['p95_ms']:6.2f}  p99 {res['p99_ms']:6.2f} ms",
                        file=sys.stderr,
                    )
        ours_p50 = statistics.median(x["p50_ms"] for d in drivers for x in runs[d]["ours"])
        noise = run_child(base, args, "--child", "noise", "--target-ms", f"{ours_p50:.3f}")
    report = summarise(runs, noise, args)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


FIGURES = ("cpu_ms_per_key", "p50_ms", "p95_ms", "p99_ms", "max_ms")


def summarise(
    runs: dict[str, dict[str, list[dict[str, Any]]]],
    noise: dict[str, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "size": args.size,
        "keys": args.keys,
        "rounds": args.rounds,
        "gap_ms": args.gap,
        "noise_floor": noise,
        "drivers": {},
    }
    for driver, by_kind in runs.items():
        d: dict[str, Any] = {"runs": by_kind}
        for kind, rs in by_kind.items():
            d[kind] = {k: statistics.median(r[k] for r in rs) for k in FIGURES}
        d["cpu_ratio"] = d["ours"]["cpu_ms_per_key"] / d["naive"]["cpu_ms_per_key"]
        d["p99_over_p50"] = d["ours"]["p99_ms"] / d["ours"]["p50_ms"]
        d["naive_p99_over_p50"] = d["naive"]["p99_ms"] / d["naive"]["p50_ms"]
        mem = [r for r in by_kind["ours"] if "rss_growth" in r]
        if mem:
            out["memory"] = {
                k: mem[-1][k]
                for k in ("memory_keys", "rss_after_100_mib", "rss_after_all_mib", "rss_growth")
            }
        out["drivers"][driver] = d
    first = next(iter(out["drivers"].values()))
    out["budget"] = {
        "cpu_ratio<=0.25": {k: v["cpu_ratio"] <= 0.25 for k, v in out["drivers"].items()},
        "p99<=2*p50": {k: v["p99_over_p50"] <= 2.0 for k, v in out["drivers"].items()},
        "rss_growth<=10%": out["memory"]["rss_growth"] <= 0.10 if "memory" in out else None,
    }
    del first
    return out


def print_table(r: dict[str, Any]) -> None:
    print(
        f"Scoring keys at {r['size']}: {r['keys']} keys x {r['rounds']} rounds (medians), "
        f"{r['gap_ms']:g} ms pause after each frame"
    )
    for driver, d in r["drivers"].items():
        n, o = d["naive"], d["ours"]
        print(
            f"\n[{driver}: {'pilot.press' if driver == 'pilot' else 'key events posted directly'}]"
        )
        print(f"{'':26}{'naive':>9}{'ours':>9}{'ratio':>8}   budget")
        ok = "ok" if d["cpu_ratio"] <= 0.25 else "MISSED"
        print(
            f"{'CPU per key (ms)':26}{n['cpu_ms_per_key']:9.2f}{o['cpu_ms_per_key']:9.2f}"
            f"{d['cpu_ratio']:8.2f}   <= 0.25 {ok}"
        )
        for q in ("p50", "p95", "p99", "max"):
            print(
                f"{'press-to-frame ' + q + ' (ms)':26}{n[q + '_ms']:9.2f}{o[q + '_ms']:9.2f}"
                f"{o[q + '_ms'] / n[q + '_ms']:8.2f}"
            )
        ok = "ok" if d["p99_over_p50"] <= 2 else "MISSED"
        print(
            f"{'p99 / p50':26}{d['naive_p99_over_p50']:9.2f}{d['p99_over_p50']:9.2f}"
            f"{'':8}   <= 2    {ok}"
        )
    nf = r["noise_floor"]
    print(
        f"\nmachine noise floor: fixed {nf['p50_ms']:.2f} ms of work, p99 {nf['p99_ms']:.2f} ms, "
        f"p99/p50 {nf['p99_over_p50']:.2f}"
    )
    if "memory" in r:
        m = r["memory"]
        ok = "ok" if m["rss_growth"] <= 0.10 else "MISSED"
        print(
            f"RSS after 100 keys {m['rss_after_100_mib']:.1f} MiB, after {m['memory_keys']} keys "
            f"{m['rss_after_all_mib']:.1f} MiB: {m['rss_growth'] * 100:+.1f} %  (<= 10 %: {ok})"
        )


if __name__ == "__main__":
    main()
