"""Importing a ledger file from the app: the importer's report first, a write only on request."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from fieldtui.screens.import_dialog import ImportDialog
from fieldtui.screens.ledger import LedgerScreen
from fieldtui.store.store import open_store
from tests.app.conftest import DEMO_STATIONS, AppFactory

HEADER = [
    "序号",
    "退役军人服务站名称",
    "负责人",
    "联系人",
    "联系电话",
    "服务对象数量（人）",
    "备注",
]
GOOD = [
    ["1", "白马村退役军人服务站", "王国明", "李华", "138 0000 0001", "35", ""],
    ["2", "黄桷社区退役军人服务站", "张建军", "张建军", "72345678", "60", "新建"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "gbk") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def report_text(app: object) -> str:
    return str(app.screen.query_one("#import-report").render())  # type: ignore[attr-defined]


async def check_file(pilot: object, path: Path) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.press(*str(path), "enter")  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def test_report_then_write(make_app: AppFactory, home: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "台账.csv", [["XX镇台账"], HEADER, *GOOD])
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        # The first start offers the import: I opens the ledger with the dialog.
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause(0.2)
        assert app.current_mode == "ledger"
        assert isinstance(app.screen, ImportDialog)
        await check_file(pilot, path)
        assert "白马村退役军人服务站" in report_text(app)
        assert app.store.stations.count() == 0  # checked, nothing written
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)
        assert app.screen.query_one("#ledger-table").total_count == 2  # type: ignore[attr-defined]
    with open_store(home) as store:
        stations = {s.name: s for s in store.stations.all()}
    assert stations["白马村退役军人服务站"].phone == "13800000001"
    assert stations["黄桷社区退役军人服务站"].phone == "023-72345678"


async def test_a_bad_file_writes_nothing(
    make_app: AppFactory, demo_home: Path, tmp_path: Path
) -> None:
    bad = [*GOOD, ["3", "石门村退役军人服务站", "刘", "刘", "12345", "300", ""]]
    path = write_csv(tmp_path / "台账.csv", [HEADER, *bad], "utf-8")
    app = make_app(demo_home)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3", "i")
        await pilot.pause()
        await check_file(pilot, path)
        report = report_text(app)
        assert "12345" in report and "300" in report  # the row's problems, by field
        state = app.screen.query_one("#import-state")
        assert state.has_class("error")
        await pilot.press("ctrl+s")  # refused: nothing to write
        await pilot.pause()
        assert isinstance(app.screen, ImportDialog)
        await pilot.press("escape")
        assert isinstance(app.screen, LedgerScreen)
    with open_store(demo_home) as store:
        assert store.stations.count() == DEMO_STATIONS


async def test_a_ledger_changed_after_the_check_is_refused(
    make_app: AppFactory, demo_home: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "台账.csv", [HEADER, *GOOD])
    app = make_app(demo_home)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3", "i")
        await pilot.pause()
        await check_file(pilot, path)
        # Meanwhile the ledger changes through another connection (the CLI, another window).
        with open_store(demo_home) as other:
            first = other.stations.all()[0]
            other.stations.archive(first.id, dt.date(2023, 6, 1))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ImportDialog)
        assert app.screen.query_one("#import-state").has_class("error")
    with open_store(demo_home) as store:
        assert store.stations.by_name("白马村退役军人服务站") is None
