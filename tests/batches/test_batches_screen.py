"""The batches screen driven by keys through Pilot, asserting on the store."""

from __future__ import annotations

import time
from pathlib import Path

from textual.widgets import DataTable, Input, Static

from fieldtui.campaigns import active
from fieldtui.screens.batches import BatchesScreen, PathPrompt
from fieldtui.store.store import open_store
from fieldtui.sync.client import PushConfig
from tests.batches.harness import BatchesHarness
from tests.sync.server import ServerState, serve
from tests.sync.smtpd import smtp_server
from tests.sync.test_export import PDF

TOKEN = "tok-longhe-0123456789"


def batches(home: Path):
    with open_store(home) as s:
        return s.batches.all()


def status(app: BatchesHarness) -> str:
    return str(app.screen.query_one("#job-status", Static).render())


async def finish(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_opens_on_the_period_due_next_and_seals_it(home: Path) -> None:
    app = BatchesHarness(home, today=__import__("datetime").date(2023, 6, 20))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, BatchesScreen)
        assert screen.selected_period().label == "2023Q2"
        await pilot.press("s")
        await finish(pilot)
        (b,) = batches(home)
        assert b.period == "2023Q2" and b.state == "sealed"
        assert "已封存 2023Q2" in status(app)
        await pilot.press("s")  # nothing changed: the same batch
        await finish(pilot)
        assert len(batches(home)) == 1 and "没有变化" in status(app)
        table = screen.query_one("#batch-list", DataTable)
        assert table.row_count == 1


async def test_export_asks_for_the_folder_and_writes_the_files(home: Path, tmp_path: Path) -> None:
    app = BatchesHarness(home, lang="en")
    out = tmp_path / "export here"
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("x")
        assert isinstance(app.screen, PathPrompt)
        field = app.screen.query_one(Input)
        assert field.value.endswith("exports/龙河镇_2023Q2")
        field.value = str(out)
        await pilot.press("enter")
        await finish(pilot)
        assert "Exported 8 files" in status(app)
    (b,) = batches(home)
    assert b.state == "exported" and b.export_dir == str(out.resolve())
    assert len(list(out.iterdir())) == 8


async def test_escape_cancels_the_export(home: Path) -> None:
    app = BatchesHarness(home)
    async with app.run_test() as pilot:
        await pilot.press("x")
        await pilot.press("escape")
        await finish(pilot)
        assert isinstance(app.screen, BatchesScreen)
    assert batches(home) == []


async def test_attach_a_scan(home: Path, tmp_path: Path) -> None:
    scan = tmp_path / "stamped.pdf"
    scan.write_bytes(PDF)
    app = BatchesHarness(home)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await finish(pilot)
        await pilot.press("a")
        app.screen.query_one(Input).value = str(scan)
        await pilot.press("enter")
        await finish(pilot)
        assert "已附加 stamped.pdf" in status(app)
        detail = str(app.screen.query_one("#batch-detail").render())
        assert "stamped.pdf（待上报）" in detail  # not at the county yet
    (b,) = batches(home)
    assert [f.name for f in b.files] == ["stamped.pdf"]
    assert b.scan_state == "unsent"


async def test_a_refusal_is_shown_and_the_screen_goes_on(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "not-a-scan.pdf"
    bad.write_bytes(b"hello")
    app = BatchesHarness(home, lang="en")
    async with app.run_test() as pilot:
        await pilot.press("a")
        app.screen.query_one(Input).value = str(bad)
        await pilot.press("enter")
        await finish(pilot)
        assert "not a PDF, JPEG or PNG" in status(app)
        await pilot.press("u")  # Q2 is sealed first, then the missing endpoint is named
        await finish(pilot)
        assert "endpoint" in status(app)
        assert [b.period for b in batches(home)] == ["2023Q2"]
        assert isinstance(app.screen, BatchesScreen)


async def test_send_pushes_and_shows_the_receipt(home: Path) -> None:
    from tests.sync.helpers import make_settings

    state = ServerState(campaign=active(None), tokens={TOKEN: "龙河镇"})
    with serve(state) as srv:
        make_settings(home, endpoint=srv.url, token=TOKEN)
        state.script[:] = ["status:503"]
        app = BatchesHarness(home, push_config=PushConfig(deadline=5, wait_initial=0.05,
                                                           wait_jitter=0.05))  # fmt: skip
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("u")
            await finish(pilot)
            assert "县级已接收" in status(app)
            table = app.screen.query_one("#batch-list", DataTable)
            row = table.get_row_at(0)
            assert "县级已接收" in str(row[4]) and str(row[5]).startswith("回执 ")
            assert "待发箱：空" in str(app.screen.query_one("#outbox", Static).render())
    (b,) = batches(home)
    assert b.state == "acknowledged" and b.receipt["batch_id"] == b.id
    assert list(state.stored) == [b.id] and len(state.requests) == 2


async def test_the_screen_stays_responsive_while_a_send_stalls(home: Path) -> None:
    from tests.sync.helpers import make_settings

    state = ServerState(campaign=active(None), tokens={TOKEN: "龙河镇"})
    with serve(state) as srv:
        make_settings(home, endpoint=srv.url, token=TOKEN)
        state.script[:] = ["stall:3"]
        app = BatchesHarness(home, push_config=PushConfig(deadline=10, attempt_timeout=8))
        async with app.run_test() as pilot:
            await pilot.press("u")
            await pilot.pause(0.5)
            assert app.screen._busy == "send"  # type: ignore[attr-defined]
            table = app.screen.query_one("#quarters", DataTable)
            before = table.cursor_row
            t = time.monotonic()
            await pilot.press("down")
            await pilot.pause()
            assert time.monotonic() - t < 0.5  # the key was handled at once
            assert table.cursor_row == before + 1
            await pilot.press("s")  # a second job while busy is refused politely
            await finish(pilot)
            assert "县级已接收" in status(app)
    assert len(batches(home)) == 1


async def test_email_from_the_screen(home: Path) -> None:
    from tests.sync.helpers import make_settings

    with smtp_server() as (inbox, port):
        make_settings(home, smtp__host="127.0.0.1", smtp__port=port, smtp__security="none",
                      smtp__from="longhe@example.org")  # fmt: skip
        app = BatchesHarness(home)
        async with app.run_test() as pilot:
            await pilot.press("m")
            await finish(pilot)
            assert "已发送邮件到 240960637@qq.com" in status(app)
    assert len(inbox.messages) == 1
    (b,) = batches(home)
    assert b.state == "emailed"


async def test_outbox_and_states_are_shown(history: Path) -> None:
    app = BatchesHarness(history, lang="en")
    async with app.run_test(size=(160, 40)):
        outbox = str(app.screen.query_one("#outbox", Static).render())
        assert "2 waiting" in outbox and "1 refused" in outbox
        table = app.screen.query_one("#batch-list", DataTable)
        states = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
        assert states == ["sent (outbox)", "sent (superseded)", "acknowledged"]


async def test_quitting_during_a_send_does_not_wait_for_its_deadline(
    home: Path, monkeypatch
) -> None:
    import threading

    from fieldtui.sync import client
    from tests.sync.helpers import make_settings

    ended = threading.Event()
    real = client.send_pending

    def observed(*a, **k):  # the real send, watched for when it returns
        try:
            return real(*a, **k)
        finally:
            ended.set()

    monkeypatch.setattr(client, "send_pending", observed)
    state = ServerState(campaign=active(None), tokens={TOKEN: "龙河镇"})
    with serve(state) as srv:
        make_settings(home, endpoint=srv.url, token=TOKEN)
        state.script[:] = ["stall:30"]
        app = BatchesHarness(home, push_config=PushConfig(deadline=60, attempt_timeout=30))
        async with app.run_test() as pilot:
            await pilot.press("u")
            await pilot.pause(0.5)
            assert app.screen._busy == "send"  # type: ignore[attr-defined]
            app.exit()
        # The worker was cancelled with the app: the send ends now, not after 30-60 s.
        assert ended.wait(timeout=2)
    (b,) = batches(home)
    assert b.in_outbox and b.acknowledged_at is None
