"""Snapshots of every screen of the app frame at 80x24 and 160x48, in Chinese and in English.

The demo township is filled as of 10 June 2023 (tests/app/conftest.py TODAY). Update with
``pytest tests/app/test_snapshots.py --snapshot-update`` and look at every changed picture in
the report before committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.app.conftest import AppFactory

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
LANGS = pytest.mark.parametrize("lang", ["zh", "en"])


@SIZES
@LANGS
def test_dashboard(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """Dashboard of the 24-station demo township on 10 June 2023.

    The navigation bar (F2-F7) with Dashboard highlighted; the campaign title; "next submission:
    Q2, 2023-06-30 23:59, 20 days left"; one row per period Q1-Q4 with the target, a planned-share
    bar and an actual-rate bar (each with the target marker ┃), the passed/stations count and
    the gap (Q1 and Q2 behind, in red; Q3 and Q4 not begun, dimmed); the counts of stations,
    drafts, completed, passed, failed and vetoed; the stations behind their planned month.
    """
    assert snap_compare(make_app(demo_home, lang), terminal_size=size)


@SIZES
@LANGS
def test_welcome(
    snap_compare: Any, make_app: AppFactory, home: Path, lang: str, size: tuple[int, int]
) -> None:
    """First start with an empty database: a dialog over the empty dashboard offering
    I import a ledger file, A add stations by hand, D load the demo township; Esc to skip."""
    assert snap_compare(make_app(home, lang), terminal_size=size)


@SIZES
@LANGS
def test_dashboard_empty(
    snap_compare: Any, make_app: AppFactory, home: Path, lang: str, size: tuple[int, int]
) -> None:
    """The dashboard with no stations after skipping the first-start dialog: every rate and
    share is a dash (never a division error), all counts are 0, nobody is behind plan."""
    assert snap_compare(make_app(home, lang), press=["escape"], terminal_size=size)


@SIZES
@LANGS
def test_ledger(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """The ledger (F3): the filter field on top, the stations in entry order with head,
    contact, phone, people served, veterans, planned month, latest score and state (passed in
    green, failed red, draft yellow), the cursor on the first row; "24 stations, sorted by
    entry order" below."""
    assert snap_compare(make_app(demo_home, lang), press=["f3"], terminal_size=size)


@SIZES
@LANGS
def test_ledger_filtered_by_pinyin(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """The ledger filtered by typing "/yf": only 永丰村 and 永丰一村 remain (pinyin initials),
    and the status line says 2 of 24 are shown."""
    assert snap_compare(
        make_app(demo_home, lang), press=["f3", "slash", "y", "f"], terminal_size=size
    )


@SIZES
@LANGS
def test_station_form_errors(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """The add-station form after Ctrl+S with a bad phone (123) and 150 people served: each
    problem is shown in red under its own field, and the form stays open (not saved)."""

    async def fill(pilot: Pilot[Any]) -> None:
        await pilot.press("f3", "a")
        await pilot.pause()  # the form is mounted before typing starts
        await pilot.press(*"新村", *["tab"] * 5, *"123", "tab")
        await pilot.press(*"150", "ctrl+s")
        await pilot.pause()

    assert snap_compare(make_app(demo_home, lang), run_before=fill, terminal_size=size)


@SIZES
@LANGS
def test_archive_confirmation(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """Archiving the first station asks first: a dialog naming 永丰村退役军人服务站, saying it
    stops counting from 2023-06-10 and its assessments are kept, with No focused and Yes."""
    assert snap_compare(make_app(demo_home, lang), press=["f3", "x"], terminal_size=size)


@SIZES
@LANGS
def test_plan(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """The monthly plan (F4): stations by planned month, March to December, ◆ in the planned
    month, ✓ (green) or ✗ (red) in the month of the counting visit; the legend; below, per
    period, target, stations needed, cumulative planned, planned share and enough/short."""
    assert snap_compare(make_app(demo_home, lang), press=["f4"], terminal_size=size)


@SIZES
@LANGS
def test_plan_short(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """The plan after unplanning the first three stations (Del three times, moving down):
    their ◆ is gone, and Q1, short of its 6 stations, is marked "plan short" in yellow."""
    press = ["f4", "delete", "down", "delete", "down", "delete"]
    assert snap_compare(make_app(demo_home, lang), press=press, terminal_size=size)


@SIZES
@LANGS
def test_month_picker(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """The month picker (M on the plan): the first station's name, the months March to
    December 2023 with its planned month highlighted, and "no month" at the end."""
    assert snap_compare(make_app(demo_home, lang), press=["f4", "m"], terminal_size=size)


@SIZES
@LANGS
def test_settings(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """Settings (F7): the settings file path, then General (unit, officer, phone, language,
    campaign), County endpoint (URL, token "not set", CA file), E-mail (SMTP, port 465, SSL),
    Backups; at 160x48 also the Keys table (action, keys, default, id)."""
    assert snap_compare(make_app(demo_home, lang), press=["f7"], terminal_size=size)


@SIZES
@LANGS
def test_settings_errors(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """Settings after Ctrl+S with an endpoint that is not a URL: the problem is shown in red
    under the endpoint field and nothing is saved."""

    async def fill(pilot: Pilot[Any]) -> None:
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press(*["tab"] * 5, *"ftp:x", "ctrl+s")
        await pilot.pause()

    assert snap_compare(make_app(demo_home, lang), run_before=fill, terminal_size=size)


@SIZES
@LANGS
def test_help_ledger(
    snap_compare: Any, make_app: AppFactory, demo_home: Path, lang: str, size: tuple[int, int]
) -> None:
    """F1 on the ledger: a dialog with what the ledger is for, its keys (/, a, e Enter, Del x,
    i, s, r, Esc) and the app's keys (F2-F7, F1 ?, Ctrl+P, Ctrl+Q), each with its description."""
    assert snap_compare(make_app(demo_home, lang), press=["f3", "f1"], terminal_size=size)


@SIZES
@LANGS
def test_import_report(
    snap_compare: Any,
    make_app: AppFactory,
    demo_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    size: tuple[int, int],
) -> None:
    """Import (I on the ledger) after checking 台账.csv (GBK, a title row above the header): the
    importer's report (file kind and encoding, the columns it used, two stations to add, one
    row with a bad phone and 300 people served, named by row and field) and, in red, that
    nothing was written."""
    from tests.app.test_import_dialog import GOOD, HEADER, write_csv

    monkeypatch.chdir(tmp_path)
    bad = ["3", "石门村退役军人服务站", "刘", "刘", "12345", "300", ""]
    write_csv(tmp_path / "台账.csv", [["XX镇台账"], HEADER, *GOOD, bad])

    async def check(pilot: Pilot[Any]) -> None:
        await pilot.press("f3", "i")
        await pilot.pause()
        await pilot.press(*"台账.csv", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(demo_home, lang), run_before=check, terminal_size=size)
