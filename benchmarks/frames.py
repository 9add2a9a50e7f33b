"""Measuring keys in a running app: what a key costs, and how long until its frame is drawn.

Used inside a child process running an app headless under ``App.run_test``:

- :class:`FrameClock` replaces ``app._display``: each compositor update is converted to terminal
  output (``render_segments``, the work the headless driver would otherwise skip) and the moment
  it is done is noted;
- :func:`press` injects one key event as a terminal would (no Pilot waiting), waits for the first
  frame after it and returns press-to-frame seconds, the main thread's CPU time until that frame
  (the work, without the time other processes had the CPU) and the process's CPU time for the key.
  Between keys it waits ``gap`` after the last frame (a fast typist), so a key never queues
  behind the previous one's frame;
- :class:`GcWatch` counts collections per generation and the longest one.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.common import TODAY, quantile


class FrameClock:
    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate

        self.app = app
        self.frames: list[float] = []
        self.frame_cpu: list[float] = []  # the main thread's CPU time at the end of each frame
        self.event = asyncio.Event()
        self.bytes = 0

        def display(screen: Any, renderable: Any) -> None:
            if renderable is None:
                return
            if isinstance(renderable, CompositorUpdate):
                self.bytes += len(renderable.render_segments(app.console))
            self.frames.append(time.perf_counter())
            self.frame_cpu.append(time.thread_time())
            self.event.set()

        app._display = display

    async def next_frame(self, after: int, timeout: float = 10.0) -> float:
        while len(self.frames) <= after:
            self.event.clear()
            if len(self.frames) > after:
                break
            await asyncio.wait_for(self.event.wait(), timeout)
        return self.frames[after]


class GcWatch:
    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.longest_ms = [0.0, 0.0, 0.0]
        self._t = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            g = info["generation"]
            self.count[g] += 1
            self.longest_ms[g] = max(self.longest_ms[g], (time.perf_counter() - self._t) * 1000)

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def real_app(home: Path) -> Any:
    """``FieldApp`` as ``fieldtui`` runs it: collection off while it starts, the start-up heap
    frozen and collection tuned when the first screen is ready (fieldtui.cli.run_app)."""
    gc.disable()
    from fieldtui.app import FieldApp

    try:
        return FieldApp(home, "zh", today=TODAY, blink=False, check_storage=False, tune_gc=True)
    except TypeError:  # a build from before the collector was tuned (before/after figures)
        gc.enable()
        return FieldApp(home, "zh", today=TODAY, blink=False, check_storage=False)


def key_event(app: Any, key: str) -> None:
    """Post one key as the terminal driver would: ``a``, ``永``, ``backspace``, ``home``."""
    from textual import events

    character = key if len(key) == 1 else {"space": " "}.get(key)
    event = events.Key(key, character)
    event.set_sender(app)
    app.post_message(event)


async def press(app: Any, clock: FrameClock, key: str, gap: float) -> tuple[float, float, float]:
    """One key: (press-to-frame seconds, the main thread's CPU seconds from the press to that
    frame, CPU seconds of the whole process from the press to the end of the gap)."""
    n = len(clock.frames)
    c0, t0, th0 = time.process_time(), time.perf_counter(), time.thread_time()
    key_event(app, key)
    t1 = await clock.next_frame(n)
    th1 = clock.frame_cpu[n]
    if gap:  # quiet for `gap` after the last frame (a key may cause a second one)
        while (idle := time.perf_counter() - clock.frames[-1]) < gap:
            await asyncio.sleep(gap - idle)
    return t1 - t0, th1 - th0, time.process_time() - c0


def summary(latencies: list[float], work: list[float], cpu: list[float]) -> dict[str, Any]:
    """Per-key figures in milliseconds. ``work`` is the main thread's CPU from press to frame:
    the same as the latency less the time the machine gave to other processes."""
    return {
        "keys": len(latencies),
        "cpu_ms_per_key": statistics.fmean(cpu) * 1000,
        "p50_ms": quantile(latencies, 0.50) * 1000,
        "p95_ms": quantile(latencies, 0.95) * 1000,
        "p99_ms": quantile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
        "work_p50_ms": quantile(work, 0.50) * 1000,
        "work_p99_ms": quantile(work, 0.99) * 1000,
    }
