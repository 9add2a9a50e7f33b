"""The child process of tests/reliability/test_kill_entry.py: a scripted officer scoring stations
in the real app (``FieldApp`` under Textual's Pilot), until the parent SIGKILLs it.

    python entry_child.py HOME LOG SEED STATION_ID...

It opens the first station of the list that has no completed visit (the scoring screen resumes
its draft, if any) and keys scores as an officer does: full marks and zeros item after item, now
and then an undo, a jump back to an item to change it, a cleared score; with all 57 items scored
it completes the visit (c, Enter) and goes on with the next station.

Into LOG, each line written and fsynced before the process goes on (so a SIGKILL never loses a
line that was written, and a half line is only ever the last):

- ``resumed``: what the screen shows on opening a station (its draft's id and scores);
- ``intent``: the values a key is about to write, before the write is handed to the writer;
- ``saved``: a score at the moment the screen marks it saved (its write committed);
- ``completed``: a visit the screen shows as completed;
- ``ready``: the officer starts keying.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

HOME, LOG, SEED = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
STATIONS = [int(s) for s in sys.argv[4:]]
_fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def log(kind: str, **fields: Any) -> None:
    os.write(_fd, (json.dumps({"k": kind, **fields}, ensure_ascii=False) + "\n").encode())
    os.fsync(_fd)


def instrument() -> None:
    """Log each write's intent, and each score when the screen shows it saved."""
    from fieldtui.screens.scoring import ScoringScreen

    write_scores = ScoringScreen._write_scores
    write_done = ScoringScreen.on_scoring_screen_write_done

    def logged_write(self: Any, values: dict[int, float | None]) -> None:
        log("intent", station=self.handle.station_id, values={str(k): v for k, v in values.items()})
        write_scores(self, values)

    def logged_done(self: Any, message: Any) -> None:
        write_done(self, message)
        job = message.job
        if job.error:
            return
        for kind, item in job.keys:
            # Saved on screen: the write committed, no newer write of it pending, no mark left.
            if kind == "s" and item not in self.marks and ("s", item) not in self._latest:
                log("saved", station=self.handle.station_id, aid=self.handle.aid, item=item,
                    score=self.scores.get(item))  # fmt: skip

    ScoringScreen._write_scores = logged_write  # type: ignore[method-assign]
    ScoringScreen.on_scoring_screen_write_done = logged_done  # type: ignore[method-assign]


def next_station(app: Any) -> int | None:
    done = {a.station_id for a in app.store.assessments.for_campaign(app.campaign.id) if a.complete}
    return next((s for s in STATIONS if s not in done), None)


async def main() -> None:
    instrument()
    from fieldtui.app import FieldApp
    from fieldtui.screens.scoring import ScoringScreen

    rng = random.Random(SEED)
    app = FieldApp(HOME, "en", today=dt.date(2023, 6, 20), blink=False, check_storage=False)
    async with app.run_test(size=(120, 40)) as pilot:

        async def open_next() -> ScoringScreen | None:
            sid = next_station(app)
            if sid is None:
                return None
            await app.open_scoring(sid)
            await pilot.pause()
            screen = app.screen_stack[0] if app.current_mode == "scoring" else None
            assert isinstance(screen, ScoringScreen) and screen.handle is not None
            assert screen.handle.station_id == sid, (screen.handle, sid)
            log("resumed", station=sid, aid=screen.handle.aid,
                scores={str(k): v for k, v in screen.scores.items()})  # fmt: skip
            return screen

        screen = await open_next()
        log("ready")
        items = [it.number for it in app.campaign.items]
        while screen is not None:
            if len([v for v in screen.scores.values() if v is not None]) == len(items):
                assert screen.flush(30)
                await pilot.pause()
                if screen.marks:  # something failed: not expected here
                    raise SystemExit(f"unsaved rows: {screen.marks}")
                await pilot.press("c")
                await pilot.pause()
                await pilot.press("enter")
                await pilot.pause()
                if screen.visit is not None and screen.visit.complete:
                    log("completed", station=screen.handle.station_id, aid=screen.visit.id)
                screen = await open_next()
                continue
            roll = rng.random()
            if roll < 0.55:
                keys = ["y"]
            elif roll < 0.8:
                keys = ["n"]
            elif roll < 0.86:
                keys = ["u"]
            elif roll < 0.93:
                keys = ["g", *str(rng.choice(items)), rng.choice("yn")]
            else:
                keys = ["x"]
            await pilot.press(*keys)
            await asyncio.sleep(rng.uniform(0.0, 0.02))
        log("all-done")
        # Every station is complete (a long full-count run gets here): wait for the kill like
        # an officer who left the app open, so every run ends the same way.
        while True:
            await asyncio.sleep(1)


if __name__ == "__main__":
    asyncio.run(main())
