"""The pieces under the scoring screen: editing rules, CJK wrapping, the background writer."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest
from rich.cells import cell_len

from fieldtui.campaigns import active
from fieldtui.domain.editing import (
    Change,
    History,
    TypedScoreError,
    apply,
    fill_changes,
    next_after,
    parse_typed,
    set_changes,
    typed_score,
)
from fieldtui.store.store import open_store
from fieldtui.store.writer import Job, Writer
from fieldtui.widgets.cjkwrap import NO_END, NO_START, wrap
from tests.scoring.conftest import make_home


@pytest.fixture
def campaign(tmp_path: Path):  # type: ignore[no-untyped-def]
    return active(make_home(tmp_path), "")


@pytest.mark.parametrize(
    ("text", "value"),
    [("2", 2.0), ("2.5", 2.5), (".5", 0.5), ("2.", 2.0), ("0", 0.0), ("", None), (".", None),
     ("1.2.3", None), ("-1", None), ("１", None), ("1e1", None)],
)  # fmt: skip
def test_parse_typed(text: str, value: float | None) -> None:
    assert parse_typed(text) == value


def test_typed_score_codes(campaign, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert typed_score(campaign, 6, "3") == 3.0
    assert typed_score(campaign, 6, "0") == 0.0
    for text, code in (("1", "fixed"), ("4", "range"), ("x", "number"), ("1.5", "fixed")):
        with pytest.raises(TypedScoreError) as err:
            typed_score(campaign, 6, text)
        assert err.value.code == code
    partial = active(make_home(tmp_path / "p", partial=True), "partial-test")
    assert typed_score(partial, 6, "2.5") == 2.5
    with pytest.raises(TypedScoreError) as err:
        typed_score(partial, 6, "0.25")
    assert err.value.code == "step"


def test_changes_fill_and_history(campaign) -> None:  # type: ignore[no-untyped-def]
    scores: dict[int, float] = {1: 1.0}
    assert set_changes(scores, {1: 1.0, 2: 0.0}) == (Change(2, None, 0.0),)
    fill = fill_changes(campaign, scores)
    assert len(fill) == 56 and all(c.old is None for c in fill)
    h = History(limit=3)
    apply(scores, fill)
    h.record(fill)
    assert len(scores) == 57
    entry = h.undo()
    assert entry == fill
    apply(scores, entry, undo=True)
    assert scores == {1: 1.0}
    assert h.redo() == fill and not h.can_redo
    for i in range(5):
        h.record((Change(1, float(i), 0.0),))
    undone = 0
    while h.undo() is not None:
        undone += 1
    assert undone == 3, "the history is bounded"
    h.record(())
    assert not h.can_undo


def test_next_after_goes_to_the_first_unscored_item_after_the_last(campaign) -> None:  # type: ignore[no-untyped-def]
    assert next_after(campaign, 5, {}) == 6
    assert next_after(campaign, 57, {n: 1.0 for n in range(1, 57) if n != 9}) == 9
    assert next_after(campaign, 57, {n: 1.0 for n in range(1, 58)}) == 57


@pytest.mark.parametrize("width", [8, 9, 20, 21, 33, 56, 120])
def test_wrap_keeps_the_text_fits_the_width_and_breaks_politely(campaign, width: int) -> None:  # type: ignore[no-untyped-def]
    for item in campaign.items:
        for text in (item.text, item.text_en):
            lines = wrap(text, width)
            assert all(cell_len(line) <= width for line in lines)
            if item.text == text:
                assert "".join(lines) == text
            else:  # only spaces come and go (a word longer than a line is folded)
                assert "".join(lines).replace(" ", "") == text.replace(" ", "")
            if width < 20:
                continue  # too narrow for the punctuation rules to hold for every text
            for line in lines[1:]:
                assert line[:1] not in NO_START, (width, lines)
            for line in lines[:-1]:
                assert line[-1:] not in NO_END, (width, lines)


def test_wrap_cjk_widths() -> None:
    assert wrap("退役军人服务站", 6) == ["退役军", "人服务", "站"]
    assert wrap("做到专款专用。", 12) == ["做到专款专", "用。"]  # 。 never starts a line
    assert wrap("", 10) == [""]


def test_writer_keeps_order_reports_failures_and_carries_on(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    campaign = active(home, "")
    with open_store(home) as store:
        aid = store.assessments.create(1, campaign, dt.date(2023, 5, 10), "x")
        path = store.path
    done: list[Job] = []
    lock = threading.Lock()

    def on_done(job: Job) -> None:
        with lock:
            done.append(job)

    writer = Writer(path, on_done)
    try:
        for n in range(1, 11):
            writer.submit(lambda r, n=n: r.set_score(aid, campaign, n, 0.0), (("s", n),))
        bad = writer.submit(lambda r: r.set_score(aid, campaign, 1, 0.5), (("s", 1),))
        writer.submit(lambda r: r.set_score(aid, campaign, 11, 1.0), (("s", 11),))
        assert writer.drain(10)
        assert [j.keys[0][1] for j in done] == [*range(1, 11), 1, 11]  # type: ignore[index]
        assert bad.error is not None and "partial" in bad.error
        writer.conn.execute("PRAGMA query_only=ON")
        with pytest.raises(sqlite3.OperationalError):
            writer.call(lambda r: r.set_score(aid, campaign, 12, 2.0))
        writer.conn.execute("PRAGMA query_only=OFF")
        assert writer.call(lambda r: r.get(aid)).scores[11] == 1.0
    finally:
        writer.close()
    with open_store(home) as store:
        assert store.assessments.require(aid).scores == {**{n: 0.0 for n in range(1, 11)}, 11: 1.0}
