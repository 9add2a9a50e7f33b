"""Rubric scoring: pick a station, score its 57 items by keyboard, complete and lock it.

Keys (from the action table, scope "scoring"; the user may rebind them):

- ``y``/space full score and next item, ``n`` zero and next; digits (and ``.5``) type a score,
  Enter sets it (a campaign with fixed scores takes only the maximum or 0, and says so);
- ``g`` + item number + ``y``/``n``/``m``/Enter acts on that item (``g37n``: item 37 gets zero);
- ``f`` fills every unscored item with its full score; ``c`` completes (Enter confirms): a station
  with full marks is scored in three keys, ``f c Enter``, after it is picked;
- ``j`` + category number jumps to a category, Tab / Shift+Tab to the next / previous one;
- ``m`` note, ``u`` undo, Ctrl+R redo, ``x`` clear, ``b`` bonus, ``v`` veto, ``d`` visit date,
  ``r`` retry writes that failed, ``R`` revise a completed visit, ``p`` pick another station.

Saving: each change goes to a background writer (fieldtui/store/writer.py) that commits it with its
audit row, in order, on its own connection. The row shows the change as pending until the commit
returns, then as saved; a failed write marks the row "not saved" and says why in the status line,
keeps the value, and ``r`` writes it again. The screen never draws a change as saved before the
commit, and the frame is never held up by an fsync.

Drawing: the sheet, the summary and the status line are Line-API widgets that repaint only the
lines that changed, never the layout (see fieldtui/widgets/rubric_sheet.py and the benchmark in
benchmarks/keys.py).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from fieldtui.domain.assessment import Assessment
from fieldtui.domain.editing import (
    Change,
    History,
    TypedScoreError,
    apply,
    fill_changes,
    first_unscored,
    next_after,
    set_changes,
    typed_score,
)
from fieldtui.domain.ledger import Station
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import BonusEntry, Result, Sheet, check_bonus, compute
from fieldtui.domain.search import haystack
from fieldtui.screens.context import AppServices, services
from fieldtui.screens.keys import scoped
from fieldtui.screens.scoring_modals import (
    BonusPanel,
    ConfirmModal,
    Pick,
    PickRow,
    StationPicker,
    TextPrompt,
    VetoPanel,
)
from fieldtui.store.assessments import Assessments
from fieldtui.store.writer import WRITE_ERRORS, Job, Writer
from fieldtui.widgets.footer import KeyFooter
from fieldtui.widgets.rubric_sheet import RubricSheet, fmt_score
from fieldtui.widgets.score_bar import InfoLine, ScoreSummary

DIGIT_BINDINGS = [
    *[Binding(str(d), f"digit('{d}')", show=False) for d in range(10)],
    Binding("full_stop", "digit('.')", show=False),
]

# -- garbage collection ---------------------------------------------------------------------------

_gc_tuned = False


def tune_gc() -> None:
    """Freeze what is alive when scoring starts (once per process): it lives for the session.

    A full collection walks every tracked object; once Textual's render caches have grown that
    stalls a frame for ~100 ms every ~20 keys. Frozen objects are never walked again, so full
    collections then scan only what came after. The collection after the freeze resets
    CPython's count of long-lived objects to what is not frozen (nothing): left at the size of
    the whole heap, it would hold every full collection back until a quarter as many objects
    had piled up, and the reference cycles of Textual's strips, garbage by then, would grow the
    heap about 2 KiB a key for good (benchmarks: memory after 3,000 scoring keys). The app does
    the same when its first screen is ready (FieldApp.tune_gc); this covers the screens opened
    since, and the county app.
    """
    global _gc_tuned
    if _gc_tuned:
        return
    _gc_tuned = True
    freeze_heap()


def freeze_heap() -> None:
    """Collect, freeze what survives, and start CPython's long-lived count from zero."""
    gc.collect()
    gc.freeze()
    gc.collect()  # scans nothing (all is frozen); resets the long-lived count


# -- the visit being edited ---------------------------------------------------------------------


@dataclass
class VisitHandle:
    """The assessment being written. ``aid`` is None until the first change creates the visit
    (on the writer thread, before the change itself), so browsing leaves no empty drafts."""

    station_id: int
    day: dt.date
    assessor: str
    aid: int | None = None


def ensure_visit(repo: Assessments, handle: VisitHandle, campaign: Campaign, actor: str) -> int:
    if handle.aid is None:
        handle.aid = repo.create(handle.station_id, campaign, handle.day, handle.assessor, actor)
    return handle.aid


Key = tuple[str, int]  # ("s", item) a score, ("n", item) a note


@scoped("scoring", extra=DIGIT_BINDINGS)
class ScoringScreen(Screen[None]):
    """Score one station's visit against the campaign's rubric."""

    CSS_PATH = "scoring.tcss"
    AUTO_FOCUS = "#sheet"
    DESCRIPTION = (
        "评分：按验收评分表（附件1）逐项为一个服务站的一次访查打分，可在现场或事后凭记录录入。"
        "p 选择服务站（有草稿则继续草稿，否则新建今天的访查；d 改访查日期）。\n"
        "逐项评分：y 或空格给满分并到下一项，n 给0分；数字加Enter输入得分"
        "（本方案每项只能满分或0分）；g加编号到某项，如 g37n 即第37项0分；"
        "j加编号跳到某一类，Tab/Shift+Tab 下一类/上一类；x 清除得分；m 为扣分项写备注。"
        "f 把其余未评项都给满分：满分的站只需 f c Enter 三个键。\n"
        "b 加分项（58–60项，同一事项只计最高加分，合计最多10分），v 一票否决（61项）。"
        "下方显示各类小计与合计；90分及以上且无一票否决为达标。\n"
        "每次更改立即保存到数据库；保存中的行标为待保存，保存失败的行标为未保存，"
        "值保留，按 r 重试。u 撤销，Ctrl+R 重做。\n"
        "c 完成（Enter 确认）：须每一项都已评分，完成后锁定；"
        "之后只能按 R 修订（须说明原因），修订取代原评分，原评分留在审计记录中。",
        "Scoring: score one visit to a station against the acceptance rubric (attachment 1), "
        "item by item, on site or afterwards from notes. p picks a station (its draft if it "
        "has one, else a new visit dated today; d changes the visit date).\n"
        "Item by item: y or Space gives full marks and moves on, n gives zero; digits and "
        "Enter type a score (this campaign allows only the full value or 0); g and a number "
        "go to an item (g37n: item 37 gets zero); j and a number go to a category, Tab and "
        "Shift+Tab to the next or previous one; x clears a score; m writes a note on a "
        "deduction. f gives every unscored item full marks: a station with full marks takes "
        "three keys, f c Enter.\n"
        "b bonus items (58-60; the same matter counts once, at its highest; at most 10 points "
        "in all), v one-vote veto (item 61). Below: the subtotal of each category and the "
        "total; 90 points or more and no veto passes.\n"
        "Every change is saved to the database at once; a row being saved is marked pending, "
        "a row that failed is marked not saved and keeps its value: r retries. u undoes, "
        "Ctrl+R redoes.\n"
        "c completes (Enter confirms): every item must have a score; the visit is then "
        "locked, and only R revises it (with a reason). A revision replaces the original, "
        "which stays in the audit trail.",
    )

    class WriteDone(Message):
        """A write finished on the writer thread (posted from there)."""

        def __init__(self, job: Job) -> None:
            self.job = job
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.station: Station | None = None
        self.visit: Assessment | None = None  # the stored visit shown (None: new, not yet saved)
        self.handle: VisitHandle | None = None
        self.readonly = False
        self.scores: dict[int, float] = {}
        self.notes: dict[int, str] = {}
        self.bonus: list[tuple[int, BonusEntry]] = []
        self.veto: set[int] = set()
        self.marks: dict[int, str] = {}
        self.result: Result | None = None
        self.history = History()
        self.writer: Writer | None = None
        self._latest: dict[Key, Job] = {}
        self._prompt: str | None = None  # "score", "goto" or "category"
        self._prompt_item = 0  # the item a typed score is for
        self._buffer = ""
        self._pending: tuple[int, int | None] | None = None
        self._asked_picker = False
        self._created_shown = False
        self._svc: AppServices | None = None

    # -- set-up -------------------------------------------------------------------------------

    @property
    def svc(self) -> AppServices:
        if self._svc is None:
            self._svc = services(self)
        return self._svc

    @property
    def campaign(self) -> Campaign:
        return self.svc.campaign

    def tr(self, zh: str, en: str) -> str:
        return self.svc.tr(zh, en)

    def compose(self) -> ComposeResult:
        from fieldtui.widgets.navbar import NavBar

        yield NavBar("scoring")
        yield InfoLine(id="scoring-title")
        yield RubricSheet(id="sheet")
        yield ScoreSummary(id="summary")
        yield InfoLine(id="scoring-status", max_lines=2)
        yield KeyFooter()

    @property
    def sheet(self) -> RubricSheet:
        return self.query_one("#sheet", RubricSheet)

    def on_mount(self) -> None:
        self._sheet = self.sheet
        self._summary = self.query_one("#summary", ScoreSummary)
        self._title = self.query_one("#scoring-title", InfoLine)
        self._statusbar = self.query_one("#scoring-status", InfoLine)
        self._title.set([(" " + self.tr("评分", "Scoring"), "bold")])
        self._say("按 p 选择服务站", "Press p to pick a station")
        if self._pending is not None:
            sid, vid = self._pending
            self._pending = None
            self._open(sid, vid)
        tune_gc()

    def on_screen_resume(self) -> None:
        if self.station is None and self._pending is None and not self._asked_picker:
            self._asked_picker = True
            self.call_after_refresh(self._auto_pick)

    def _auto_pick(self) -> None:
        if self.station is None and self.is_current:
            self.action_pick()

    def on_unmount(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def flush(self, timeout: float = 30) -> bool:
        """Wait until every change handed to the writer has been attempted (e.g. before the app
        backs the database up on quit). True if nothing is left queued."""
        return self.writer is None or self.writer.drain(timeout)

    def _writer(self) -> Writer:
        if self.writer is None:
            self.writer = Writer(self.svc.store.path, self._post_done)
        return self.writer

    def _post_done(self, job: Job) -> None:
        """On the writer thread: hand the result to the UI thread."""
        self.post_message(self.WriteDone(job))

    # -- opening a station --------------------------------------------------------------------

    def open_station(self, station_id: int, visit_id: int | None = None) -> None:
        """Open ``station_id``: its draft if it has one, else a new visit dated today; or, with
        ``visit_id``, that stored visit (read-only if complete). The app's ``open_scoring`` calls
        this; it may come before the screen is mounted."""
        if not self.is_mounted:
            self._pending = (station_id, visit_id)
            return
        if isinstance(self.app.screen, StationPicker):
            self.app.screen.dismiss(None)
        self._leave_then(lambda: self._open(station_id, visit_id))

    def _leave_then(self, go: Callable[[], None]) -> None:
        """Run ``go`` now, or after confirmation if changes of this visit are not saved."""
        unsaved = self._unsaved_count()
        if not unsaved:
            go()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                go()

        self.app.push_screen(
            ConfirmModal(
                self.tr("有更改未保存", "Changes not saved"),
                [
                    self.tr(
                        f"本次访查有 {unsaved} 项更改没有写入数据库。离开将丢弃它们。",
                        f"{unsaved} change(s) of this visit are not in the database. "
                        "Leaving discards them.",
                    ),
                    self.tr(
                        "仍要离开吗？（按 n 留下，再按 r 重试保存）",
                        "Leave anyway? (n to stay, then r to retry saving)",
                    ),
                ],
                danger=True,
            ),
            answer,
        )

    def _open(self, station_id: int, visit_id: int | None = None) -> None:
        svc = self.svc
        c = svc.campaign
        if self.writer is not None:
            self.writer.drain()
        station = svc.store.stations.get(station_id)
        if station is None:
            self._say(f"没有编号为 {station_id} 的服务站", f"No station {station_id}", "error")
            return
        visit: Assessment | None
        if visit_id is not None:
            visit = svc.store.assessments.get(visit_id)
            if visit is None or visit.station_id != station_id:
                self._say(f"没有编号为 {visit_id} 的评分", f"No visit {visit_id}", "error")
                return
        else:
            visit = svc.store.assessments.draft_for(station_id, c.id)
            if visit is None and station.archived is not None:
                self._status(
                    self.tr(f"{station.name} 已归档，不能新建访查", f"{station.name} is archived"),
                    "error",
                )
                return
        self.station = station
        self.visit = visit
        officer = str(svc.settings.get("officer") or "")
        if visit is None:
            self.handle = VisitHandle(station_id, svc.today(), officer)
            self.readonly = False
            self.scores, self.notes, self.bonus, self.veto = {}, {}, [], set()
        else:
            self.handle = VisitHandle(station_id, visit.date, visit.assessor, visit.id)
            self.readonly = visit.complete or visit.rubric_hash != c.rubric_hash
            self.scores = dict(visit.scores)
            self.notes = dict(visit.notes)
            self.bonus = list(zip(visit.bonus_ids, visit.bonus, strict=True))
            self.veto = set(visit.veto)
        self.marks = {}
        self._created_shown = False
        self._latest.clear()
        self.history.clear()
        self._prompt, self._buffer = None, ""
        self._recompute()
        assert self.result is not None
        cursor = 1 if self.readonly else (first_unscored(c, self.scores) or 1)
        self._sheet.load(c, svc.lang, self.scores, self.notes, self.marks, self.result, cursor)
        self._summary.show(c, svc.lang, self.result, c.item(cursor).category)
        self._sheet.focus()
        self._show_title()
        self.refresh_bindings()
        if visit is None:
            msg = self.tr(
                f"新访查，日期 {self.handle.day}（d 修改）。首次评分时保存。",
                f"New visit dated {self.handle.day} (d to change); saved at the first score.",
            )
            done = self._completed_refs(station_id)
            if done:
                msg += self.tr(
                    f" 该站已有完成的评分（{done}），按 p 查看。",
                    f" This station already has a completed visit ({done}); p to view it.",
                )
            self._status(msg)
        elif visit.complete:
            self._say(
                "已完成并锁定。修改请按 R 修订（需说明原因）。",
                "Completed and locked. Press R to revise it (with a reason).",
                "warn",
            )
        elif self.readonly:
            self._say(
                "此草稿按另一版评分表保存，不能在此编辑。",
                "This draft was saved under another rubric and cannot be edited here.",
                "error",
            )
        else:
            # No count here: it would go stale with the next score (the totals line keeps it).
            if first_unscored(c, self.scores) is None:
                self._say(
                    "继续草稿：各项均已评分，按 c 完成。",
                    "Resumed draft: every item is scored; c completes it.",
                )
            else:
                self._say(
                    "继续草稿，从第一个未评项开始。", "Resumed draft, at its first unscored item."
                )

    def _completed_refs(self, station_id: int) -> str:
        refs = self.svc.store.assessments.visit_refs(self.campaign.id)
        done = [r for r in refs if r.station_id == station_id and r.complete]
        return ", ".join(str(r.date) for r in sorted(done, key=lambda r: r.date))

    def _show_title(self) -> None:
        c = self.campaign
        st, h, v = self.station, self.handle, self.visit
        if st is None or h is None:
            return
        parts: list[tuple[str, str]] = [(" " + st.name, "bold"), (f"  {h.day}", "plain")]
        if v is not None and v.complete:
            parts.append(
                (self.tr(f"  已完成 #{v.id}（锁定）", f"  completed #{v.id} (locked)"), "warn")
            )
        elif h.aid is None:
            parts.append((self.tr("  新访查（未保存）", "  new visit (not saved yet)"), "muted"))
        else:
            parts.append((self.tr(f"  草稿 #{h.aid}", f"  draft #{h.aid}"), "muted"))
        if v is not None and v.revises:
            parts.append(
                (
                    self.tr(
                        f"  修订 #{v.revises}：{v.reason}", f"  revises #{v.revises}: {v.reason}"
                    ),
                    "accent",
                )
            )
        rule = (
            self.tr(
                f"可部分得分（步长 {c.score_step:g}）", f"partial scores (step {c.score_step:g})"
            )
            if c.partial_scores
            else self.tr("每项满分或0分", "each item full or 0")
        )
        self._title.set(parts, [(rule, "muted"), (" ", "plain")])

    # -- state --------------------------------------------------------------------------------

    def _recompute(self) -> None:
        sheet = Sheet(
            scores=self.scores, bonus=tuple(e for _, e in self.bonus), veto=frozenset(self.veto)
        )
        self.result = compute(self.campaign, sheet)

    def _editable(self) -> bool:
        """True if the visit may be changed; otherwise says why (and offers a revision)."""
        if self.station is None or self.handle is None:
            self.action_pick()
            return False
        if not self.readonly:
            return True
        if self.visit is not None and self.visit.complete:
            self.action_revise()
        else:
            self._say("此评分不能编辑。", "This visit cannot be edited.", "error")
        return False

    def _unsaved_count(self) -> int:
        return sum(1 for j in self._latest.values() if j.done and j.error)

    def _mark(self, item: int) -> None:
        state = ""
        for key in (("s", item), ("n", item)):
            job = self._latest.get(key)
            if job is None:
                continue
            if job.done and job.error:
                state = "failed"
                break
            if not job.done:
                state = "pending"
        if state:
            self.marks[item] = state
        else:
            self.marks.pop(item, None)

    def _submit(self, fn: Callable[[Assessments], object], keys: tuple[Key, ...]) -> None:
        """Queue a write and draw its rows as pending; on_scoring_screen_write_done draws them
        as saved (or not saved) when the writer has committed it."""
        try:
            job = self._writer().submit(fn, keys)
        except WRITE_ERRORS as exc:  # the writer's own connection could not be opened
            job = Job(fn, keys, done=True, error=str(exc) or type(exc).__name__, exc=exc)
            for key in keys:
                self._latest[key] = job
            self._settle(job)
            return
        for key in keys:
            self._latest[key] = job
            self.marks[key[1]] = "pending"

    def _settle(self, job: Job) -> list[int]:
        """Record a finished write: the rows it saved, or "not saved". Returns their items."""
        items: list[int] = []
        for raw in job.keys:
            key = cast(Key, raw)
            if self._latest.get(key) is not job:
                continue  # a newer write of the same thing decides
            if not job.error:
                del self._latest[key]
            self._mark(key[1])
            items.append(key[1])
        if not items:
            return items
        if job.error:
            self._say(
                f"未保存！第 {items[0]} 项：{job.error}。值已保留，按 r 重试。",
                f"NOT SAVED! Item {items[0]}: {job.error}. Value kept; press r to retry.",
                "error",
            )
        elif self.handle is not None and self.handle.aid is not None and not self._created_shown:
            self._created_shown = True
            self._show_title()
            if self.visit is None:
                self._say(
                    f"已保存为草稿 #{self.handle.aid}", f"Saved as draft #{self.handle.aid}", "ok"
                )
        else:
            self._refresh_unsaved()
        return items

    def on_scoring_screen_write_done(self, message: WriteDone) -> None:
        """A write finished: repaint its rows' state."""
        items = self._settle(message.job)
        if items:
            self._sheet.marks_changed(items)

    def _refresh_unsaved(self) -> None:
        """Keep the status line's unsaved count current."""
        self._status(self._status_text, self._status_kind)

    # -- writing ------------------------------------------------------------------------------

    def _write_scores(self, values: dict[int, float | None]) -> None:
        handle, c = self.handle, self.campaign
        assert handle is not None
        actor = handle.assessor

        def run(repo: Assessments) -> None:
            aid = ensure_visit(repo, handle, c, actor)
            repo.set_scores(aid, c, values, actor)

        keys: tuple[Key, ...] = tuple(("s", n) for n in values)
        self._submit(run, keys)

    def _write_note(self, item: int, text: str) -> None:
        handle, c = self.handle, self.campaign
        assert handle is not None
        actor = handle.assessor

        def run(repo: Assessments) -> None:
            aid = ensure_visit(repo, handle, c, actor)
            repo.set_note(aid, item, text, actor)

        self._submit(run, (("n", item),))

    def _sync_call(self, fn: Callable[[Assessments], object]) -> tuple[bool, object]:
        """Run a rare write on the writer and wait: (True, result) or (False, message)."""
        try:
            return True, self._writer().call(fn)
        except WRITE_ERRORS as exc:
            return False, str(exc) or type(exc).__name__

    def _change(self, changes: Iterable[Change], *, record: bool = True) -> list[int]:
        changes = tuple(changes)
        if not changes:
            return []
        apply(self.scores, changes)
        if record:
            self.history.record(changes)
        self._write_scores({ch.item: ch.new for ch in changes})
        items = [ch.item for ch in changes]
        self._after(items)
        return items

    def _after(self, items: list[int]) -> None:
        self._recompute()
        assert self.result is not None
        self._sheet.changed(items, self.result)
        self._summary.show(
            self.campaign,
            self.svc.lang,
            self.result,
            self.campaign.item(self._sheet.cursor).category,
        )

    def _score(self, item: int, value: float | None) -> None:
        self._change(set_changes(self.scores, {item: value}))

    # -- prompts (typed digits) ---------------------------------------------------------------

    def _end_prompt(self) -> None:
        if self._prompt is None:
            return
        if self._prompt == "score":
            self._sheet.set_typed(None)
        self._prompt, self._buffer = None, ""
        self._status("")

    def _target(self) -> int | None:
        """The item a key acts on: the one named after ``g``, else the cursor's."""
        c = self.campaign
        if self._prompt == "goto":
            text = self._buffer
            self._end_prompt()
            if not text:
                return self._sheet.cursor
            n = int(text)
            if not c.has_item(n):
                self._say(
                    f"没有第 {n} 项（1–{len(c.items)}）", f"No item {n} (1–{len(c.items)})", "error"
                )
                return None
            self._move(n)
            return n
        if self._prompt is not None:
            self._end_prompt()
        return self._sheet.cursor

    def action_digit(self, ch: str) -> None:
        if self.station is None:
            return
        c = self.campaign
        if self._prompt in ("goto", "category"):
            if ch == "." or len(self._buffer) >= 3:
                return
            self._buffer += ch
            if self._prompt == "category":
                n = int(self._buffer)
                longer = any(
                    str(k.number).startswith(self._buffer) and k.number != n for k in c.categories
                )
                if not longer:
                    self._end_prompt()
                    self._jump_category(n)
                    return
            self._prompt_status()
            return
        if not self._editable():
            return
        if self._prompt != "score":
            self._prompt, self._buffer = "score", ""
            self._prompt_item = self._sheet.cursor
        if len(self._buffer) >= 5:
            return
        self._buffer += ch
        self._sheet.set_typed(self._buffer)
        self._prompt_status()

    def _prompt_status(self) -> None:
        c = self.campaign
        b = self._buffer
        if self._prompt == "goto":
            self._say(
                f"到第几项：{b}▏ 然后 Enter 移动 · y 满分 · n 零分 · m 备注 · Esc 取消",
                f"Go to item: {b}▏ then Enter move · y full · n zero · m note · Esc cancel",
                "accent",
            )
        elif self._prompt == "category":
            self._say(
                f"跳到第几类（1–{len(c.categories)}）：{b}▏",
                f"Go to category (1–{len(c.categories)}): {b}▏",
                "accent",
            )
        elif self._prompt == "score":
            n = self._sheet.cursor
            mx = c.item(n).max
            if c.partial_scores:
                rule = self.tr(
                    f"0–{mx:g}，步长 {c.score_step:g}", f"0–{mx:g} in steps of {c.score_step:g}"
                )
            else:
                rule = self.tr(
                    f"本方案只能给 {mx:g} 或 0", f"this campaign allows only {mx:g} or 0"
                )
            self._say(
                f"第 {n} 项得分：{b}▏（{rule}）Enter 确认 · Esc 取消",
                f"Item {n} score: {b}▏ ({rule}) Enter set · Esc cancel",
                "accent",
            )

    def action_enter(self) -> None:
        if self.station is None:
            self.action_pick()
            return
        prompt, text = self._prompt, self._buffer
        if prompt == "score":
            self._end_prompt()
            if self._prompt_item == self._sheet.cursor:
                self._commit_typed(text)
        elif prompt == "goto":
            self._target()
            self._status("")
        elif prompt == "category":
            self._end_prompt()
            if text:
                self._jump_category(int(text))
        else:
            self._sheet.action_cursor_down()

    def _commit_typed(self, text: str) -> None:
        c = self.campaign
        n = self._sheet.cursor
        try:
            value = typed_score(c, n, text)
        except TypedScoreError as e:
            self._status(self._typed_message(e), "error")
            return
        self._score(n, value)
        self._say(f"第 {n} 项：{value:g}", f"Item {n}: {value:g}")
        self._move(next_after(c, n, self.scores))

    def _typed_message(self, e: TypedScoreError) -> str:
        mx, step, t, n = e.maximum, e.step, e.text, e.item
        if e.code == "fixed":
            return self.tr(
                f"不接受 {t}：本方案每项按固定分值赋分，第 {n} 项只能给 {mx:g} 或 0 分（y 满分，n 零分）。",
                f"{t} refused: this campaign scores each item its full value or nothing; item {n} "
                f"takes {mx:g} or 0 (y full, n zero).",
            )
        if e.code == "range":
            return self.tr(
                f"不接受 {t}：第 {n} 项满分为 {mx:g}。",
                f"{t} refused: item {n} has a maximum of {mx:g}.",
            )
        if e.code == "step":
            return self.tr(
                f"不接受 {t}：得分须为 {step:g} 的倍数。",
                f"{t} refused: scores go in steps of {step:g}.",
            )
        return self.tr(f"不接受 {t}：不是数字。", f"{t} refused: not a number.")

    def action_cancel(self) -> None:
        if self._prompt is not None:
            self._end_prompt()
            self._say("已取消", "Cancelled")

    def action_rubout(self) -> None:
        if self._prompt is None:
            return
        self._buffer = self._buffer[:-1]
        if self._prompt == "score":
            if not self._buffer:
                self._end_prompt()
                self._status("")
                return
            self._sheet.set_typed(self._buffer)
        self._prompt_status()

    # -- scoring keys -------------------------------------------------------------------------

    def action_full(self) -> None:
        self._set_and_next(full=True)

    def action_zero(self) -> None:
        self._set_and_next(full=False)

    def _set_and_next(self, *, full: bool) -> None:
        if not self._editable():
            self._end_prompt()
            return
        n = self._target()
        if n is None:
            return
        c = self.campaign
        self._score(n, c.item(n).max if full else 0.0)
        self._move(next_after(c, n, self.scores))

    def action_clear(self) -> None:
        if not self._editable():
            return
        n = self._target()
        if n is not None:
            self._score(n, None)

    def action_fill(self) -> None:
        if not self._editable():
            return
        self._end_prompt()
        changes = fill_changes(self.campaign, self.scores)
        if not changes:
            self._say("每一项都已评分。", "Every item is already scored.")
            return
        self._change(changes)
        self._say(
            f"其余 {len(changes)} 项已给满分（u 撤销）。",
            f"{len(changes)} remaining items given full marks (u undoes).",
            "ok",
        )

    def action_undo(self) -> None:
        self._history(undo=True)

    def action_redo(self) -> None:
        self._history(undo=False)

    def _history(self, *, undo: bool) -> None:
        if not self._editable():
            return
        self._end_prompt()
        entry = self.history.undo() if undo else self.history.redo()
        if entry is None:
            self._say(
                "没有可撤销的更改" if undo else "没有可重做的更改",
                "Nothing to undo" if undo else "Nothing to redo",
            )
            return
        changes = [Change(ch.item, ch.new, ch.old) for ch in entry] if undo else list(entry)
        items = self._change(changes, record=False)
        first = min(items)
        self._move(first)
        what = self.tr("撤销" if undo else "重做", "Undone" if undo else "Redone")
        if len(items) == 1:
            ch = changes[0]
            self._status(
                f"{what}: "
                + self.tr(
                    f"第 {first} 项 {fmt_score(ch.old)} → {fmt_score(ch.new)}",
                    f"item {first} {fmt_score(ch.old)} → {fmt_score(ch.new)}",
                )
            )
        else:
            self._status(f"{what}: " + self.tr(f"{len(items)} 项", f"{len(items)} items"))

    def action_retry(self) -> None:
        failed = [k for k, j in self._latest.items() if j.done and j.error]
        if not failed:
            self._say("没有需要重试的保存。", "Nothing to retry: everything is saved.")
            return
        scores = {n: self.scores.get(n) for kind, n in failed if kind == "s"}
        if scores:
            self._write_scores(scores)
        for kind, n in failed:
            if kind == "n":
                self._write_note(n, self.notes.get(n, ""))
        items = sorted({n for _, n in failed})
        for n in items:
            self._mark(n)
        if self.result is not None:
            self._sheet.changed(items, self.result)
        self._status(
            self.tr(f"正在重试保存 {len(failed)} 项…", f"Retrying {len(failed)} write(s)…")
        )

    # -- moving -------------------------------------------------------------------------------

    def action_goto(self) -> None:
        if self.station is None:
            self.action_pick()
            return
        self._end_prompt()
        self._prompt, self._buffer = "goto", ""
        self._prompt_status()

    def action_jump(self) -> None:
        if self.station is None:
            self.action_pick()
            return
        self._end_prompt()
        self._prompt, self._buffer = "category", ""
        self._prompt_status()

    def _jump_category(self, number: int) -> None:
        c = self.campaign
        if not 1 <= number <= len(c.categories):
            self._say(f"没有第 {number} 类", f"No category {number}", "error")
            return
        self._move(c.category(number).items[0])
        cat = c.category(number)
        self._status(
            f"{cat.numeral}、{cat.name}" if self.svc.lang != "en" else f"{number}. {cat.name_en}"
        )

    def action_next_category(self) -> None:
        self._step_category(+1)

    def action_prev_category(self) -> None:
        self._step_category(-1)

    def _step_category(self, step: int) -> None:
        if self.station is None:
            return
        self._end_prompt()
        c = self.campaign
        cat = c.item(self._sheet.cursor).category
        target = min(max(cat + step, 1), len(c.categories))
        self._move(c.category(target).items[0])

    def _move(self, item: int) -> None:
        """Move the cursor (and the summary's current category) without a message round trip."""
        self._sheet.move_to(item, notify=False)
        self._summary.set_current(self.campaign.item(self._sheet.cursor).category)

    def on_rubric_sheet_cursor_moved(self, message: RubricSheet.CursorMoved) -> None:
        if self._prompt == "score" and message.item != self._prompt_item:
            self._end_prompt()
            self._status("")
        self._summary.set_current(self.campaign.item(message.item).category)

    # -- notes ----------------------------------------------------------------------------------

    def action_note(self) -> None:
        if not self._editable():
            self._end_prompt()
            return
        n = self._target()
        if n is None:
            return
        item = self.campaign.item(n)

        def check(text: str) -> str | None:
            if len(text) > 1000:
                return self.tr("备注不能超过 1000 字", "A note may not exceed 1000 characters")
            return None

        def done(text: str | None) -> None:
            if text is None or text == self.notes.get(n, ""):
                return
            if text:
                self.notes[n] = text
            else:
                self.notes.pop(n, None)
            self._write_note(n, text)
            self._sheet.notes_changed(n)
            self._say(f"第 {n} 项备注已记下", f"Note on item {n} recorded")

        self.app.push_screen(
            TextPrompt(
                self.tr(f"第 {n} 项备注（扣分原因）", f"Note on item {n} (reason for a deduction)"),
                self.tr(
                    "Enter 保存 · 清空后 Enter 删除备注 · Esc 取消",
                    "Enter saves · empty + Enter removes the note · Esc cancels",
                ),
                self.notes.get(n, ""),
                check=check,
                placeholder=item.label(self.svc.lang)[:40],
            ),
            done,
        )

    # -- bonus and veto (BonusHost) ----------------------------------------------------------------

    def action_bonus(self) -> None:
        if self._editable():
            self._end_prompt()
            self.app.push_screen(BonusPanel(self))

    def action_veto(self) -> None:
        if self._editable():
            self._end_prompt()
            self.app.push_screen(VetoPanel(self))

    def add_bonus(self, entry: BonusEntry) -> str | None:
        handle, c = self.handle, self.campaign
        assert handle is not None

        def run(repo: Assessments) -> int:
            aid = ensure_visit(repo, handle, c, handle.assessor)
            return repo.add_bonus(aid, c, entry, handle.assessor)

        ok, res = self._sync_call(run)
        if not ok:
            return self._refused(str(res))
        self.bonus.append((int(res), check_bonus(c, entry)))  # type: ignore[call-overload]
        self._bonus_veto_changed()
        self._say(
            f"加分项已保存：第 {entry.item} 项", f"Bonus entry saved: item {entry.item}", "ok"
        )
        return None

    def remove_bonus(self, bonus_id: int) -> str | None:
        handle = self.handle
        assert handle is not None and handle.aid is not None
        aid = handle.aid
        ok, res = self._sync_call(lambda repo: repo.remove_bonus(aid, bonus_id, handle.assessor))
        if not ok:
            return self._refused(str(res))
        self.bonus = [(b, e) for b, e in self.bonus if b != bonus_id]
        self._bonus_veto_changed()
        self._say("加分项已删除", "Bonus entry removed", "ok")
        return None

    def set_veto(self, condition: int, on: bool) -> str | None:
        handle, c = self.handle, self.campaign
        assert handle is not None

        def run(repo: Assessments) -> None:
            aid = ensure_visit(repo, handle, c, handle.assessor)
            repo.set_veto(aid, c, condition, on, handle.assessor)

        ok, res = self._sync_call(run)
        if not ok:
            return self._refused(str(res))
        if on:
            self.veto.add(condition)
        else:
            self.veto.discard(condition)
        self._bonus_veto_changed()
        self._say(
            f"一票否决条件 {condition}：{'成立' if on else '取消'}",
            f"Veto condition {condition}: {'set' if on else 'cleared'}",
            "error" if on else "ok",
        )
        return None

    def _refused(self, message: str) -> str:
        text = self.tr(f"未保存：{message}", f"Not saved: {message}")
        self._status(text, "error")
        return text

    def _bonus_veto_changed(self) -> None:
        self._recompute()
        assert self.result is not None
        self._summary.show(
            self.campaign,
            self.svc.lang,
            self.result,
            self.campaign.item(self._sheet.cursor).category,
        )
        self._show_title()
        self._refresh_unsaved()

    # -- date -----------------------------------------------------------------------------------

    def action_date(self) -> None:
        if not self._editable():
            return
        self._end_prompt()
        handle = self.handle
        assert handle is not None
        c = self.campaign
        today = self.svc.today()
        first, last = c.periods[0].first, c.periods[-1].last

        def check(text: str) -> str | None:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                return self.tr("请输入日期，格式 YYYY-MM-DD", "Enter a date as YYYY-MM-DD")
            if day > today:
                return self.tr(f"不能晚于今天（{today}）", f"Cannot be after today ({today})")
            if not first <= day <= last:
                return self.tr(
                    f"须在本方案期间内（{first} 至 {last}）",
                    f"Must fall within the campaign ({first} to {last})",
                )
            return None

        def done(text: str | None) -> None:
            if not text:
                return
            day = dt.date.fromisoformat(text)
            if handle.aid is None:
                handle.day = day
            else:
                aid = handle.aid
                ok, res = self._sync_call(lambda repo: repo.set_date(aid, day, handle.assessor))
                if not ok:
                    self._refused(str(res))
                    return
                handle.day = day
            self._show_title()
            self._say(f"访查日期：{day}", f"Visit date: {day}")

        self.app.push_screen(
            TextPrompt(
                self.tr("访查日期", "Visit date"),
                self.tr(
                    "YYYY-MM-DD · Enter 保存 · Esc 取消", "YYYY-MM-DD · Enter saves · Esc cancels"
                ),
                handle.day.isoformat(),
                check=check,
                max_length=10,
            ),
            done,
        )

    # -- completing and revising ----------------------------------------------------------------

    def action_complete(self) -> None:
        if not self._editable():
            return
        self._end_prompt()
        c = self.campaign
        missing = first_unscored(c, self.scores)
        if missing is not None:
            left = len(c.items) - len(self.scores)
            self._move(missing)
            self._say(
                f"还有 {left} 项未评分，不能完成。已跳到第 {missing} 项。",
                f"{left} item(s) unscored; cannot complete. Moved to item {missing}.",
                "error",
            )
            return
        if self._unsaved_count():
            self._say(
                "有更改未保存，不能完成。请先按 r 重试保存。",
                "Some changes are not saved; cannot complete. Press r to retry first.",
                "error",
            )
            return
        r = self.result
        st = self.station
        assert r is not None and st is not None and self.handle is not None
        verdict = (
            self.tr("一票否决，未达标", "vetoed: fails")
            if r.veto
            else (self.tr("达标", "passes") if r.passed else self.tr("未达标", "fails"))
        )
        self.app.push_screen(
            ConfirmModal(
                self.tr("完成并锁定评分？", "Complete and lock this assessment?"),
                [
                    f"{st.name}  {self.handle.day}",
                    self.tr(
                        f"合计 {r.total:g}（基础 {r.base:g} + 加分 {r.bonus:g}），{verdict}。",
                        f"Total {r.total:g} (base {r.base:g} + bonus {r.bonus:g}): {verdict}.",
                    ),
                    self.tr(
                        "完成后只能通过修订（需说明原因）更改。",
                        "Afterwards it can only be changed by a revision, with a reason.",
                    ),
                ],
            ),
            self._complete_confirmed,
        )

    def _complete_confirmed(self, yes: bool | None) -> None:
        if not yes:
            self._say("未完成，仍为草稿。", "Not completed; still a draft.")
            return
        handle, c = self.handle, self.campaign
        assert handle is not None
        writer = self._writer()
        writer.drain()
        if self._unsaved_count():  # a write failed since the question was asked
            self._say(
                "有更改未保存，不能完成。请先按 r 重试保存。",
                "Some changes are not saved; cannot complete. Press r to retry first.",
                "error",
            )
            return

        def run(repo: Assessments) -> int:
            aid = ensure_visit(repo, handle, c, handle.assessor)
            repo.complete(aid, c, handle.assessor)
            return aid

        ok, res = self._sync_call(run)
        if not ok:
            self._refused(str(res))
            return
        aid = int(res)  # type: ignore[call-overload]
        st = self.station
        assert st is not None
        self._open(st.id, aid)
        r = self.result
        assert r is not None
        verdict = self.tr("达标", "PASS") if r.passed else self.tr("未达标", "FAIL")
        self._say(
            f"已完成并锁定：合计 {r.total:g}，{verdict}。按 p 选择下一个服务站。",
            f"Completed and locked: total {r.total:g}, {verdict}. Press p for the next station.",
            "ok",
        )

    def action_revise(self) -> None:
        v = self.visit
        if v is None or not v.complete:
            if self.station is not None:
                self._status(
                    self.tr("这是草稿，可以直接修改。", "This is a draft: edit it directly.")
                )
            return
        c = self.campaign
        if v.rubric_hash != c.rubric_hash:
            self._say(
                "此评分按另一版评分表完成，不能在此修订。",
                "This visit was scored under another rubric; it cannot be revised here.",
                "error",
            )
            return
        orig = v

        def done(reason: str | None) -> None:
            if not reason:
                self._say("未修订。", "Not revised.")
                return
            officer = str(self.svc.settings.get("officer") or "") or orig.assessor
            ok, res = self._sync_call(lambda repo: repo.revise(orig.id, c, reason, officer))
            if not ok:
                self._refused(str(res))
                return
            self._open(orig.station_id, int(res))  # type: ignore[call-overload]
            self._say(
                f"已打开修订 #{res}（修订 #{orig.id}）。更改会逐项保存，完成后取代原评分。",
                f"Revision #{res} of #{orig.id} opened. Changes save as you go; "
                "completing it replaces the original.",
                "ok",
            )

        self.app.push_screen(
            TextPrompt(
                self.tr(
                    f"修订已完成的评分 #{v.id}：原因", f"Revise completed visit #{v.id}: reason"
                ),
                self.tr(
                    "修订会新建一份副本并记录原因，原评分保留在审计记录中。Enter 确认 · Esc 取消",
                    "A revision is a new copy with the reason recorded; the original stays in "
                    "the audit trail. Enter confirms · Esc cancels",
                ),
                check=lambda t: (
                    None if t.strip() else self.tr("必须说明修订原因", "A reason is required")
                ),
                max_length=500,
            ),
            done,
        )

    # -- picking a station ----------------------------------------------------------------------

    def action_pick(self) -> None:
        self._end_prompt()
        svc = self.svc
        c = svc.campaign
        stations = svc.store.stations.all()
        refs = svc.store.assessments.visit_refs(c.id)
        superseded = {r.revises for r in refs if r.revises is not None and r.complete}
        drafts: dict[int, dt.date] = {}
        done: dict[int, list[PickRow]] = {}
        summary: dict[int, str] = {}
        for r in sorted(refs, key=lambda r: (r.date, r.id), reverse=True):
            if not r.complete:
                drafts.setdefault(r.station_id, r.date)
            elif r.id not in superseded:
                verdict = self.tr("达标", "pass") if r.passed else self.tr("未达标", "fail")
                text = self.tr(
                    f"查看 {r.date} 已完成 #{r.id}，{verdict}",
                    f"view {r.date} completed #{r.id}, {verdict}",
                )
                done.setdefault(r.station_id, []).append(PickRow(r.station_id, r.id, "", text))
                summary.setdefault(
                    r.station_id, self.tr(f"已评 {r.date} {verdict}", f"done {r.date} {verdict}")
                )
        rows = []
        for st in stations:
            if st.id in drafts:
                detail = self.tr(f"草稿 {drafts[st.id]}（继续）", f"draft {drafts[st.id]} (resume)")
            else:
                detail = summary.get(st.id, self.tr("未评", "not scored"))
                detail += self.tr(" · Enter 新建访查", " · Enter: new visit")
            hay = haystack((st.name, st.village, st.head, st.contact, st.phone), st.pinyin)
            rows.append((PickRow(st.id, None, st.name, detail), hay))
        if not rows:
            self._say(
                "台账里还没有服务站：先在台账中添加或导入。",
                "The ledger has no stations yet: add or import them first.",
                "warn",
            )
            return

        def chosen(pick: Pick | None) -> None:
            if pick is not None:
                self._leave_then(lambda: self._open(pick.station_id, pick.visit_id))

        self.app.push_screen(StationPicker(rows, done), chosen)

    # -- status line ----------------------------------------------------------------------------

    _status_text = ""
    _status_kind = "plain"
    _had_unsaved = False

    def _say(self, zh: str, en: str, kind: str = "plain") -> None:
        self._status(self.tr(zh, en), kind)

    def _status(self, text: str, kind: str = "plain") -> None:
        self._status_text, self._status_kind = text, kind
        if not hasattr(self, "_statusbar"):
            return
        unsaved = self._unsaved_count()
        if bool(unsaved) != self._had_unsaved:  # show or hide the retry key in the footer
            self._had_unsaved = bool(unsaved)
            self.refresh_bindings()
        right: list[tuple[str, str]] = []
        if unsaved:
            right = [
                (
                    self.tr(
                        f" ✗ {unsaved} 项未保存 · r 重试 ", f" ✗ {unsaved} NOT SAVED · r retry "
                    ),
                    "badge-bad",
                )
            ]
        self._statusbar.set([(" " + text, kind)], right)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self._unsaved_count() > 0
        if action == "revise":
            return self.visit is not None and self.visit.complete
        return True
