"""Snapshots of the county app at 80x24 and 160x48, in Chinese and in English.

The county home is fixed (tests/county_app/conftest.py): three townships reported 2023Q2, one
registered township sent nothing, the clock stands at 15 July 2023. Update with
``pytest tests/county_app/test_county_snapshots.py --snapshot-update`` and look at every changed
picture in the report before committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.county_app.conftest import AppFactory
from tests.county_app.helpers import rescore_first_lower

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
LANGS = pytest.mark.parametrize("lang", ["zh", "en"])


@SIZES
@LANGS
def test_overview(
    snap_compare: Any, make_app: AppFactory, county_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """County overview of 2023Q2 (the newest period with batches): the head line with the
    deadline 06-30 23:59 and target 50%; the county line with the pooled rate (passed/stations
    summed over the three townships), "✗ behind target" reversed if below 50%, 3 reported,
    1 late, 1 missing. The table: townships behind the target first, marked ✗ and drawn bold
    red, then those that met it (✓); 长乐镇's submission "late 0.38 d" in bold; 青龙镇 last, ✗
    and "missing". Below, the cursor township's batches (one, newest, pending review). The
    footer: [ ] periods, w work list, F2/F3/F5, Ctrl+Q."""
    assert snap_compare(make_app(county_home, lang), terminal_size=size)


@LANGS
def test_overview_in_16_colours(
    snap_compare: Any, make_app: AppFactory, county_home: Path, lang: str
) -> None:
    """The same overview at 80x24 drawn with the terminal's 16 ANSI colours (an old console):
    the townships behind still stand out by the reversed ✗ mark and bold (red) text, the county
    line's "✗ behind" is reversed, missing 青龙镇 is last and marked; the cursor row (长乐镇) is
    reversed, so it never looks like the header."""
    assert snap_compare(make_app(county_home, lang, ansi=True), terminal_size=(80, 24))


@SIZES
@LANGS
def test_overview_superseded_batch(
    snap_compare: Any, make_app: AppFactory, county_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """The cursor on 长乐镇 (pushed late, then corrected): its two batches, the correction of
    07-03 marked "✓ newest" and the first of 07-01 "superseded", both late in bold."""

    async def to_changle(pilot: Any) -> None:
        screen = pilot.app.screen
        units = [t.unit for t in screen.view.townships]
        for _ in range(units.index("长乐镇")):
            await pilot.press("down")

    assert snap_compare(make_app(county_home, lang), run_before=to_changle, terminal_size=size)


@SIZES
@LANGS
def test_worklist_with_a_changed_verdict(
    snap_compare: Any,
    make_app: AppFactory,
    county_home: Path,
    tmp_path: Path,
    lang: str,
    size: tuple[int, int],
) -> None:
    """The work list (F3) of draw #1 (seed 2023, one station per township): 丰收镇's station
    re-scored by the county below 90, shown "⚠ <total> fail" reversed; the other two "to do"
    dimmed; all batches pending review; "re-scored 1/3" in the head."""
    rescore_first_lower(county_home, tmp_path)
    assert snap_compare(make_app(county_home, lang), press=["f3"], terminal_size=size)


@SIZES
@LANGS
def test_compare(
    snap_compare: Any,
    make_app: AppFactory,
    county_home: Path,
    tmp_path: Path,
    lang: str,
    size: tuple[int, int],
) -> None:
    """Township ↔ county for 丰收镇's sampled station: both totals with base+bonus, "⚠ verdict
    changes" reversed, the delta; only the differing items, each with its maximum, the
    township's full score, the county's 0 in bold, the difference and the county's note on the
    first one."""
    e = rescore_first_lower(county_home, tmp_path)

    async def open_compare(pilot: Any) -> None:
        await pilot.press("f3")
        await pilot.pause()
        units = [x["unit"] for x in pilot.app.screen.data["entries"]]
        for _ in range(units.index(e.unit)):
            await pilot.press("down")
        await pilot.press("c")

    assert snap_compare(make_app(county_home, lang), run_before=open_compare, terminal_size=size)


@SIZES
@LANGS
def test_verdict_form(
    snap_compare: Any,
    make_app: AppFactory,
    county_home: Path,
    tmp_path: Path,
    lang: str,
    size: tuple[int, int],
) -> None:
    """The verdict form over the work list for 丰收镇's batch 11111111: the three verdicts with
    "returned" chosen (a re-score changed a verdict), drawn ▐●▌ with a bold label while the
    others are ▐ ▌ (the choice shows without colour); an empty reason, the changed station's id
    proposed, the reviewer 王审核 from the settings; "Enter records · Esc cancels"."""
    e = rescore_first_lower(county_home, tmp_path)

    async def open_form(pilot: Any) -> None:
        await pilot.press("f3")
        await pilot.pause()
        units = [x["unit"] for x in pilot.app.screen.data["entries"]]
        for _ in range(units.index(e.unit)):
            await pilot.press("down")
        await pilot.press("v")

    assert snap_compare(make_app(county_home, lang), run_before=open_form, terminal_size=size)


@SIZES
@LANGS
def test_rescore_screen(
    snap_compare: Any, make_app: AppFactory, county_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """The townships' own scoring screen in the county app (F5), opened with Enter on 丰收镇's
    sampled station of the work list: the county's navigation bar (F2 overview, F3 spot
    checks, F5 re-score highlighted), the title "丰收镇·<station>" with the app's date
    2023-07-15 and "new visit (not saved yet)", the rubric sheet at item 1 with nothing scored,
    the score summary at 0, the footer with the scoring keys."""

    async def open_rescore(pilot: Any) -> None:
        await pilot.press("f3")
        await pilot.pause()
        units = [x["unit"] for x in pilot.app.screen.data["entries"]]
        for _ in range(units.index("丰收镇")):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(county_home, lang), run_before=open_rescore, terminal_size=size)
