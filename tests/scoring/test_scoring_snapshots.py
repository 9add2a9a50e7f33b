"""What the scoring screen looks like, at 80x24 (an old laptop) and 160x48, in Chinese and English.

Each test's docstring says what a reviewer should see. Writes are settled before the picture is
taken, so no row is caught half-way between pending and saved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.scoring.conftest import Harness, pick, settle

SnapCompare = Callable[..., bool]


async def no_blink(pilot: Pilot[Any]) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def scene(*steps: tuple[str, ...] | Callable[[Pilot[Any]], Awaitable[None]]) -> Callable[..., Any]:
    """A run_before: pick 永丰村, then press each group of keys (or run each coroutine)."""

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pick(pilot, "yf")
        for step in steps:
            if callable(step):
                await step(pilot)
            else:
                await pilot.press(*step)
            await settle(pilot)
        await no_blink(pilot)
        await settle(pilot)

    return run


async def _break_the_database(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, Harness) and app.scoring.writer is not None
    app.scoring.writer.conn.execute("PRAGMA query_only=ON")


MID_SCORING = (
    ("y", "y", "n"),
    ("up", "m", *"未见两委会议记录", "enter"),
    ("down", "y", "y", "y"),
)
DEDUCTIONS_BONUS_VETO = (
    ("g", "3", "n", "g", "1", "7", "n", "g", "2", "3", "n", "g", "3", "7", "n", "g", "5", "5", "n"),
    ("g", "3", "m", *"未纳入年度考核", "enter"),
    ("b", "tab", "enter", "down", "enter", "tab", *"经验做法获省级简报刊发", "enter", "escape"),
    ("v", "2", "escape"),
    ("f", "j", "5"),
)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_mid_scoring_80x24(home: Path, snap_compare: SnapCompare, lang: str) -> None:
    """永丰村, a new visit being scored at 80x24: items 1-2 full (green), item 3 zero (red, bold)
    with its note in italics under it (✎), items 4-6 full, the cursor bar (▌) on item 7. The
    category headers show 5 / 3 ✓ and 25 / 5 with 11 items left; the subtotal line with 一3/5 and
    二5/25 (二 highlighted as the current category), the total line 8 = 8 + bonus 0, lost 2, veto
    none, scored 6/57 and a neutral "评分中 / IN PROGRESS" badge; the title says draft #1 and
    "each item full or 0"; the footer lists the scoring keys. Text in the chosen language."""
    assert snap_compare(Harness(home, lang), terminal_size=(80, 24), run_before=scene(*MID_SCORING))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_failed_write_80x24(home: Path, snap_compare: SnapCompare, lang: str) -> None:
    """After the database refused two writes: items 2 and 3 show their scores (2 and 0) but
    their number cells and state columns are red with "✗未保存 / ✗UNSAVED"; the status line says
    NOT SAVED with the SQLite error and, on the right, a red badge "2 项未保存 · r 重试 /
    2 NOT SAVED · r retry"; the footer now offers r (retry)."""
    run = scene(("y",), _break_the_database, ("y",), ("n",))
    assert snap_compare(Harness(home, lang), terminal_size=(80, 24), run_before=run)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_deductions_bonus_and_veto_160x48(home: Path, snap_compare: SnapCompare, lang: str) -> None:
    """At 160x48 every item fits on one line: items 3, 17, 23, 37 and 55 are zero (red), the
    rest full; item 3 has a note. The cursor is on item 32 (category 五, highlighted in the
    subtotal line, which shows each category as score/maximum; 十0/1 in warning colour). Totals:
    91 = 88 + bonus 3, lost 12, veto 是/YES (red), scored 57/57, and a red "一票否决 / VETOED"
    badge."""
    run = scene(*DEDUCTIONS_BONUS_VETO)
    assert snap_compare(Harness(home, lang), terminal_size=(160, 48), run_before=run)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_completed_visit_160x48(home: Path, snap_compare: SnapCompare, lang: str) -> None:
    """A completed visit (f, c, Enter): read-only, the title says completed #1 (locked), every
    item full, total 100 and a green "达标 / PASS" badge; the status line says it is locked and
    to press p for the next station; the footer offers R (revise)."""
    run = scene(("f", "c", "enter"))
    assert snap_compare(Harness(home, lang), terminal_size=(160, 48), run_before=run)


SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
LANGS = pytest.mark.parametrize("lang", ["zh", "en"])


@SIZES
@LANGS
def test_picker(home: Path, snap_compare: SnapCompare, lang: str, size: tuple[int, int]) -> None:
    """The station picker over the screen: the filter holds "cl" and the list shows only
    长乐社区退役军人服务站 (matched by its pinyin initials) with its state (未评 · Enter 新建访查, or
    "not assessed" in English); the count line says one station; the key hints are at the bottom."""

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.press("c", "l")
        await no_blink(pilot)

    assert snap_compare(Harness(home, lang), terminal_size=size, run_before=run)


@SIZES
@LANGS
def test_confirm_complete(
    home: Path, snap_compare: SnapCompare, lang: str, size: tuple[int, int]
) -> None:
    """The confirmation before locking: the station and date, the total 99 (base 99 + bonus 0)
    and that it passes (item 1 was given zero), that afterwards only a revision can change it,
    and the keys (Enter or y: yes, n or Esc: no). Text in the chosen language."""

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("n", "y", "f", "c")
        await settle(pilot)

    assert snap_compare(Harness(home, lang), terminal_size=size, run_before=run)


@SIZES
@LANGS
def test_bonus_panel(
    home: Path, snap_compare: SnapCompare, lang: str, size: tuple[int, int]
) -> None:
    """The bonus panel with one entry listed (58, the provincial level, 3, its matter), the bonus
    total 3, the form (item 58, level, an empty matter field) and the key hints; behind it the
    status line says the bonus entry for item 58 was saved. Text in the chosen language."""
    run = scene(
        ("b", "tab", "enter", "down", "enter", "tab", *"经验做法获省级简报刊发", "enter"), no_blink
    )
    assert snap_compare(Harness(home, lang), terminal_size=size, run_before=run)
