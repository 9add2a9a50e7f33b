"""The batches screen (报送): quarters and deadlines, sealed batches and their states, the outbox.

Keys (from the action table, scope "batches"): seal, export, e-mail and send the period under the
cursor, attach the scan of the stamped pages. Every job runs in a thread worker with its own
database connection, so the screen never freezes; its progress shows in the bar at the bottom.
The screen reads through the store's repositories and the sync functions, never SQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from fieldtui.domain.progress import days_left, next_deadline, progress
from fieldtui.domain.rubric import CHINA_TZ, Period
from fieldtui.domain.submission import BatchRecord, due_text
from fieldtui.i18n import percent
from fieldtui.screens.context import services
from fieldtui.screens.keys import scoped
from fieldtui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from fieldtui.sync.client import SendProgress


def _fit(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` terminal cells (a CJK character takes two), with an ellipsis."""
    from rich.cells import cell_len

    if cell_len(text) <= cells:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > cells - 1:
            break
        out += ch
    return out + "…"


class PathPrompt(ModalScreen[str | None]):
    """Asks for a folder or file path; Enter confirms, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self._title = title
        self._value = value
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(self._title, id="prompt-title")
            yield Input(value=self._value, placeholder=self._placeholder, id="prompt-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip().strip('"')
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


@scoped("batches")
class BatchesScreen(Screen[None]):
    CSS_PATH = "batches.tcss"
    DESCRIPTION = (
        "报送：每个季度把本乡镇的验收材料报送县退役军人服务中心（截止时间为4月、6月、9月、"
        "12月底）。上表是各季度的截止时间、剩余天数、目标与达标率和最新批次；下表是已封存的批次"
        "及其状态。\n"
        "步骤：光标移到要报送的季度，s 封存（把该季度末的全部台账和评分定为一个批次，没有变化时"
        "沿用原批次）；然后 u 推送到县级接收地址，或 x 导出附件2统计表、附件1评分表、验收报告"
        "草稿和压缩包，m 按设置中的邮箱发送邮件。材料须加盖公章：a 把盖章页扫描件附加到批次。\n"
        "封存前须在设置（F7）中填写填报单位；推送需要县级接收地址和令牌。推送失败的批次留在待发箱，"
        "再按 u 重试；县级接收后显示回执。v 获取县级审核结果，需更正时 o 打开要更正的服务站，"
        "修订后再按 u 重新上报。",
        "Batches: each quarter the township's acceptance material goes to the county veterans "
        "service centre (due at the end of April, June, September and December). The upper "
        "table lists each period's deadline, days left, target, compliance rate and newest "
        "batch; the lower one the sealed batches and their state.\n"
        "Steps: put the cursor on the period, s seals it (the whole ledger and every counting "
        "visit at the period's end become one batch; with nothing changed the same batch is "
        "kept); then u sends it to the county endpoint, or x exports the statistics table "
        "(attachment 2), the score sheets (attachment 1), a draft report and a zip, and m "
        "e-mails them from the account in Settings. The material must be stamped: a attaches "
        "the scan of the stamped pages to the batch.\n"
        "Sealing needs the reporting unit, set in Settings (F7); sending needs the county "
        "endpoint and token. A batch that could not be sent stays in the outbox: u tries "
        "again; once the county has it, its receipt is shown. v fetches the county's review; "
        "when a station must be corrected, o opens it, and after the revision u sends again.",
    )

    def __init__(self) -> None:
        super().__init__()
        self._periods: list[Period] = []
        self._records: dict[str, BatchRecord] = {}
        self._reviews: dict[str, Any] = {}  # batch id -> the newest stored county review
        self._busy = ""
        # How hard ``send`` tries (fieldtui.sync.client.PushConfig); None: the client's defaults.
        self.push_config: Any = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        tr = services(self).tr
        from fieldtui.widgets.navbar import NavBar

        yield NavBar("batches")
        yield Static(self.title_text(), id="batches-title")
        yield Static(tr("季度与截止时间", "Quarters and deadlines"), classes="section")
        yield DataTable(id="quarters", cursor_type="row", zebra_stripes=True)
        yield Static(tr("封存批次", "Sealed batches"), classes="section")
        yield DataTable(id="batch-list", cursor_type="row", zebra_stripes=True)
        yield Static("", id="batch-detail")
        yield Static("", id="outbox")
        with Horizontal(id="job"):
            yield ProgressBar(id="job-progress", total=7, show_eta=False)
            yield Static("", id="job-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        tr = services(self).tr
        q = self.query_one("#quarters", DataTable)
        q.add_columns(
            tr("期间", "Period"), tr("截止", "Due"), tr("剩余", "Left"),
            tr("目标", "Target"), tr("达标率", "Rate"), tr("最新批次", "Latest batch"),
        )  # fmt: skip
        b = self.query_one("#batch-list", DataTable)
        b.add_columns(
            tr("批次", "Batch"), tr("期间", "Period"), tr("封存时间", "Sealed"),
            tr("达标/站", "Passed"), tr("状态", "State"), tr("回执或错误", "Receipt or error"),
        )  # fmt: skip
        self.query_one("#job-progress", ProgressBar).display = False
        self.refresh_data()
        self._select_current_period()
        q.focus()

    def title_text(self) -> str:
        """``报送 · unit · campaign``, from the settings as they are now."""
        svc = services(self)
        unit = str(svc.settings.get("unit") or svc.tr("（未设置填报单位）", "(unit not set)"))
        return f"{svc.tr('报送', 'Batches')} · {unit} · {svc.campaign.id}"

    def on_screen_resume(self) -> None:
        # The unit may have been set in Settings (F7) since this screen was last shown.
        self.query_one("#batches-title", Static).update(self.title_text())

    # -- data --------------------------------------------------------------------------------

    def refresh_data(self) -> None:
        svc = services(self)
        c = svc.campaign
        store = svc.store
        batches = store.batches.all(c.id)
        self._reviews = store.reviews.latest_all()
        latest: dict[str, BatchRecord] = {}
        for rec in batches:
            latest[rec.period] = rec
        prog = {
            p.label: p
            for p in progress(
                c,
                store.stations.refs(),
                store.assessments.visit_refs(c.id),
                store.plan.months(c.id),
            )
        }
        today = svc.today()
        q = self.query_one("#quarters", DataTable)
        row = q.cursor_row
        q.clear()
        self._periods = list(c.periods)
        for p in self._periods:
            pp = prog[p.label]
            rate = percent(pp.rate)
            last = latest.get(p.label)
            state = (
                f"{last.short_id} {last.state_label(svc.lang)}"
                if last
                else svc.tr("未封存", "not sealed")
            )
            q.add_row(
                f"{p.label} {p.display(svc.lang)}",
                p.due.astimezone(CHINA_TZ).strftime("%m-%d %H:%M"),
                due_text(p, today, svc.lang),
                f"{p.target:.0%}",
                rate,
                state,
                key=p.label,
            )
        if 0 <= row < len(self._periods):
            q.move_cursor(row=row)
        t = self.query_one("#batch-list", DataTable)
        t.clear()
        # The last column takes what the terminal has left, so the table never needs scrolling.
        room = max(12, self.app.size.width - 64)
        for rec in reversed(batches):
            t.add_row(
                rec.short_id,
                rec.period,
                rec.sealed_at[5:16].replace("T", " "),
                f"{rec.passed}/{rec.stations}",
                self._state(rec),
                _fit(self._note(rec), room),
                key=rec.id,
            )
        self._records = {r.id: r for r in batches}
        self._show_outbox([r for r in batches if r.in_outbox])
        self._show_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "batch-list":
            self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted batch in full: id, digest, files, and the whole receipt or error."""
        svc = services(self)
        tr = svc.tr
        table = self.query_one("#batch-list", DataTable)
        detail = self.query_one("#batch-detail", Static)
        if table.row_count == 0:
            detail.update(
                tr(
                    "还没有封存的批次：按 s 封存光标所在的季度",
                    "No sealed batch yet: press s to seal the quarter under the cursor",
                )
            )
            return
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        rec = self._records.get(str(key))
        if rec is None:
            detail.update("")
            return
        lines = [f"{rec.id}  SHA-256 {rec.digest[:16]}…"]
        if rec.supersedes:
            lines[0] += tr(f"  取代 {rec.supersedes[:8]}", f"  supersedes {rec.supersedes[:8]}")
        if rec.receipt:
            lines.append(tr(f"县级回执：{rec.receipt['received_at']}",
                            f"County receipt: {rec.receipt['received_at']}"))  # fmt: skip
        if rec.last_error and (rec.receipt is None or rec.unsent_files):
            zh, _, en = rec.last_error.partition(" / ")
            lines.append(tr(zh, en or zh))
        if rec.files:
            names = "，".join(
                f.name
                + (
                    tr("（县级已接收）", " (received)")
                    if f.sent
                    else tr("（待上报）", " (not sent)")
                )
                for f in rec.files
            )
            lines.append(tr("附件：", "Files: ") + names)
        lines.extend(self._review_lines(rec))
        detail.update("\n".join(lines))

    def _review_lines(self, rec: BatchRecord) -> list[str]:
        """The county's review of ``rec``, if one was fetched: verdict, reason, what to correct."""
        from fieldtui.domain.review import stations_to_correct, verdict_label

        svc = services(self)
        tr = svc.tr
        stored = self._reviews.get(rec.id)
        if stored is None:
            return [tr("县级审核：未获取（v 获取）", "County review: not fetched (v fetches)")] if rec.acknowledged_at else []  # fmt: skip
        doc = stored.doc
        head = tr("县级审核：", "County review: ") + verdict_label(doc["status"], svc.lang)
        v = doc["verdict"]
        if v is not None and v["reason"]:
            head += f"（{v['reason']}）" if svc.lang != "en" else f" ({v['reason']})"
        checks = [sc for sc in doc["spot_checks"] if sc["county"] is not None]
        if checks:
            head += tr(f"；抽查复核 {len(checks)} 站", f"; {len(checks)} spot-checked")
        out = [head]
        todo = stations_to_correct(doc)
        if todo and not rec.superseded_by:
            names = "、".join(t["name"] for t in todo)
            out.append(tr(f"需更正：{names}（o 打开更正，改完按 u 重新上报）",
                          f"To correct: {names} (o opens it; then u sends again)"))  # fmt: skip
        return out

    def _state(self, rec: BatchRecord) -> str:
        from fieldtui.domain.review import PENDING, verdict_label

        tr = services(self).tr
        text = rec.state_label(services(self).lang)
        review = self._reviews.get(rec.id)
        if review is not None and review.status != PENDING:
            text += "·" + verdict_label(review.status, services(self).lang)
        if rec.superseded_by:
            text += tr("（已取代）", " (superseded)")
        elif rec.in_outbox and rec.blocked:
            text += tr("（被拒收）", " (refused)")
        elif rec.in_outbox:
            text += tr("（待发）", " (outbox)")
        return text

    def _note(self, rec: BatchRecord) -> str:
        tr = services(self).tr
        if rec.receipt:
            dup = tr("，重复提交", ", repeat") if rec.receipt.get("duplicate") else ""
            when = rec.receipt["received_at"][5:16].replace("T", " ")
            return tr(f"回执 {when}{dup}", f"receipt {when}{dup}")
        if rec.last_error:
            zh, _, en = rec.last_error.partition(" / ")
            return tr(zh, en or zh)
        files = len(rec.files)
        return tr(f"附件 {files} 个", f"{files} file(s)") if files else ""

    def _show_outbox(self, waiting: list[BatchRecord]) -> None:
        tr = services(self).tr
        box = self.query_one("#outbox", Static)
        if not waiting:
            box.update(tr("待发箱：空", "Outbox: empty"))
            return
        refused = sum(1 for r in waiting if r.blocked)
        text = tr(f"待发箱：{len(waiting)} 个批次等待县级回执",
                  f"Outbox: {len(waiting)} waiting for a receipt")  # fmt: skip
        if refused:
            text += tr(f"，其中 {refused} 个被拒收（按 u 重新上报）",
                       f", {refused} refused (u: send again)")  # fmt: skip
        box.update(text)

    def _select_current_period(self) -> None:
        svc = services(self)
        today = svc.today()
        now = dt.datetime.combine(today, dt.time(12), tzinfo=CHINA_TZ)
        p = next_deadline(svc.campaign, now) or svc.campaign.periods[-1]
        idx = next(i for i, x in enumerate(self._periods) if x.label == p.label)
        self.query_one("#quarters", DataTable).move_cursor(row=idx)

    def selected_period(self) -> Period:
        row = self.query_one("#quarters", DataTable).cursor_row
        return self._periods[max(0, min(row, len(self._periods) - 1))]

    # -- jobs --------------------------------------------------------------------------------

    def _status(self, text: str) -> None:
        self.query_one("#job-status", Static).update(text)

    def _start(self, name: str, label: str, work: Any) -> None:
        tr = services(self).tr
        if self._busy:
            self.notify(tr("正在处理，请稍候", "Busy, please wait"), severity="warning")
            return
        self._busy = name
        bar = self.query_one("#job-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._status(label)
        self.run_worker(work, name=name, group="batches", thread=True, exit_on_error=False)

    def _progress(self, label: str, done: int, total: int) -> None:
        bar = self.query_one("#job-progress", ProgressBar)
        bar.update(total=total, progress=done)
        self._status(label)

    def _from_thread(self, label: str, done: int, total: int) -> None:
        self.app.call_from_thread(self._progress, label, done, total)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "batches":
            return
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        tr = services(self).tr
        self._busy = ""
        self.query_one("#job-progress", ProgressBar).display = False
        if event.state == WorkerState.SUCCESS:
            message = str(event.worker.result or "")
        else:
            message = tr(f"出错：{event.worker.error}", f"Failed: {event.worker.error}")
        self._status(message)
        self.refresh_data()

    def _run(self, fn: Any) -> str:
        """Run ``fn(store)`` on a private connection; a refusal becomes the message shown."""
        from fieldtui.domain.errors import Refusal
        from fieldtui.store.store import open_store
        from fieldtui.sync.errors import SettingMissing, message

        svc = services(self)
        store = open_store(svc.home)
        try:
            return str(fn(store))
        except SettingMissing as exc:
            return "✗ " + self.setting_missing(exc.key)
        except Refusal as exc:
            return "✗ " + message(exc, svc.lang)
        except OSError as exc:
            return "✗ " + (f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
        finally:
            store.close()

    def setting_missing(self, key: str) -> str:
        """What to do when a setting a job needs is not set: fill it in under Settings (the
        refusal's own text names the command-line way, ``fieldtui config set``)."""
        from fieldtui.screens.keyhelp import keys_text
        from fieldtui.settings import SCHEMA

        svc = services(self)
        spec = SCHEMA[key]
        f7 = keys_text(self.app, svc.settings.keymap(), "app.settings")
        return svc.tr(
            f"未设置{spec.zh}：请在设置（{f7}）中填写后再试",
            f"{spec.en} is not set: fill it in under Settings ({f7}), then try again",
        )

    _STEPS: dict[str, tuple[str, str]] = {
        "seal": ("封存", "Sealing"),
        "statistics": ("附件2 统计表", "Statistics table"),
        "score_sheets": ("附件1 评分表", "Score sheets"),
        "report": ("验收报告", "Report"),
        "manifest": ("校验清单", "Checksums"),
        "zip": ("压缩包", "Zip"),
        "email": ("邮件", "E-mail"),
        "write": ("写入文件", "Writing files"),
        "send": ("发送邮件", "Sending e-mail"),
    }

    def _step(self, step: str, done: int, total: int) -> None:
        zh, en = self._STEPS.get(step, (step, step))
        self._from_thread(services(self).tr(zh, en) + "…", done, total)

    def action_seal(self) -> None:
        svc = services(self)
        p = self.selected_period()

        def work() -> str:
            from fieldtui.sync.seal import seal_period

            def go(store: Any) -> str:
                r = seal_period(store, svc.campaign, svc.settings, p.label)
                if r.created:
                    return svc.tr(f"✓ 已封存 {p.label}：批次 {r.batch.short_id}",
                                  f"✓ Sealed {p.label}: batch {r.batch.short_id}")  # fmt: skip
                return svc.tr(f"✓ {p.label} 没有变化，沿用批次 {r.batch.short_id}",
                              f"✓ {p.label} unchanged: batch {r.batch.short_id}")  # fmt: skip

            return self._run(go)

        self._start("seal", svc.tr(f"正在封存 {p.label}…", f"Sealing {p.label}…"), work)

    def default_export_dir(self, p: Period) -> Path:
        svc = services(self)
        from fieldtui.domain.filenames import safe_stem

        unit = safe_stem(str(svc.settings.get("unit") or "unit"), max_bytes=60)
        return svc.home / "exports" / f"{unit}_{p.label}"

    def action_export(self) -> None:
        svc = services(self)
        p = self.selected_period()

        def chosen(folder: str | None) -> None:
            if folder:
                self.export_to(p, Path(folder).expanduser())

        self.app.push_screen(
            PathPrompt(svc.tr(f"导出 {p.label} 到文件夹：", f"Export {p.label} to folder:"),
                       str(self.default_export_dir(p))),
            chosen,
        )  # fmt: skip

    def export_to(self, p: Period, folder: Path) -> None:
        svc = services(self)

        def work() -> str:
            from fieldtui.sync.export import export_period

            def go(store: Any) -> str:
                r = export_period(store, svc.campaign, svc.settings, p.label, folder,
                                  progress=self._step)  # fmt: skip
                return svc.tr(f"✓ 已导出 {len(r.files)} 个文件到 {r.directory}",
                              f"✓ Exported {len(r.files)} files to {r.directory}")  # fmt: skip

            return self._run(go)

        self._start("export", svc.tr(f"正在导出 {p.label}…", f"Exporting {p.label}…"), work)

    def action_email(self) -> None:
        svc = services(self)
        p = self.selected_period()

        def work() -> str:
            from fieldtui.sync.export import email_period

            def go(store: Any) -> str:
                r = email_period(store, svc.campaign, svc.settings, p.label, progress=self._step)
                return svc.tr(f"✓ 已发送邮件到 {r.to}（附件 {len(r.attachments)} 个）",
                              f"✓ E-mailed {r.to} ({len(r.attachments)} attachments)")  # fmt: skip

            return self._run(go)

        self._start("email", svc.tr(f"正在发送 {p.label} 的邮件…", f"E-mailing {p.label}…"), work)

    def action_send(self) -> None:
        """Seal the selected period if needed, then push every unacknowledged batch."""
        svc = services(self)
        p = self.selected_period()
        config = self.push_config

        def work() -> str:
            from fieldtui.sync.client import send_pending
            from fieldtui.sync.seal import seal_period

            def go(store: Any) -> str:
                self._from_thread(svc.tr(f"正在封存 {p.label}…", f"Sealing {p.label}…"), 0, 1)
                seal_period(store, svc.campaign, svc.settings, p.label)
                from textual.worker import get_current_worker

                worker = get_current_worker()
                report = send_pending(store, svc.campaign.id, svc.settings, config=config,
                                      progress=self._send_event,
                                      should_stop=lambda: worker.is_cancelled)  # fmt: skip
                if not report.outcomes:
                    return svc.tr("✓ 没有待上报的批次", "✓ Nothing to send")
                parts = [
                    f"{o.period} {o.batch_id[:8]}: {o.text(svc.lang)}"
                    + "".join(f"，{f.name}: {f.text(svc.lang)}" for f in o.files)
                    for o in report.outcomes
                ]
                mark = "✓" if report.ok else "✗"
                return f"{mark} " + "；".join(parts)

            text = self._run(go)
            return text + self._run(self._fetch_reviews_quietly)

        self._start("send", svc.tr("正在上报…", "Sending…"), work)

    def _fetch_reviews_quietly(self, store: Any) -> str:
        """After a send: fetch the county's reviews; say only what changed (never an error)."""
        from fieldtui.domain.errors import Refusal
        from fieldtui.domain.review import PENDING, verdict_label
        from fieldtui.sync.review import fetch_reviews

        svc = services(self)
        if not any(b.acknowledged_at for b in store.batches.all(svc.campaign.id)):
            return ""
        try:
            report = fetch_reviews(store, svc.settings, campaign_id=svc.campaign.id)
        except Refusal:
            return ""
        news = [
            f"{r.period} {r.batch_id[:8]} {verdict_label(r.status, svc.lang)}"
            for r in report.results
            if r.changed and r.status not in (None, PENDING)
        ]
        return (svc.tr("；县级审核：", "; county review: ") + "，".join(news)) if news else ""

    def action_reviews(self) -> None:
        """Fetch the county's verdicts and spot-check results of every acknowledged batch."""
        svc = services(self)

        def work() -> str:
            from fieldtui.sync.review import fetch_reviews

            def go(store: Any) -> str:
                report = fetch_reviews(store, svc.settings, campaign_id=svc.campaign.id)
                if not report.results:
                    return svc.tr("没有县级已接收的批次", "No batch acknowledged by the county yet")
                failed = [r for r in report.results if r.status is None]
                text = svc.tr(f"✓ 已获取 {report.fetched} 个批次的县级审核结果",
                              f"✓ Fetched the county's review of {report.fetched} batch(es)")  # fmt: skip
                if failed:
                    text += svc.tr(f"；{len(failed)} 个失败：{failed[0].error_zh}",
                                   f"; {len(failed)} failed: {failed[0].error}")  # fmt: skip
                return text

            return self._run(go)

        self._start(
            "reviews", svc.tr("正在获取县级审核结果…", "Fetching the county's review…"), work
        )

    async def action_correct(self) -> None:
        """Open the first station the county asks to correct, at the visit to revise (R)."""
        from fieldtui.domain.review import stations_to_correct

        svc = services(self)
        table = self.query_one("#batch-list", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        rec = self._records.get(str(key))
        stored = self._reviews.get(str(key))
        todo = stations_to_correct(stored.doc) if stored is not None else []
        if rec is None or not todo or rec.superseded_by:
            self._status(svc.tr("此批次没有需要更正的服务站", "Nothing to correct in this batch"))
            return
        import json

        # The visit the batch counted for the station (the review names it only for a spot
        # check), then the correction of it if one was completed since.
        target = todo[0]
        sent = json.loads(svc.store.batches.body(rec.id))
        visit = next((st["visit_id"] for st in sent["stations"] if st["id"] == target["station_id"]), None)  # fmt: skip
        refs = svc.store.assessments.visit_refs(svc.campaign.id)
        revised = {r.revises: r.id for r in refs if r.revises is not None and r.complete}
        while visit in revised:
            visit = revised[visit]
        await self.app.switch_mode("scoring")
        screen = self.app.screen_stack[0]
        opener = getattr(screen, "open_station", None)
        if opener is None:
            return
        opener(target["station_id"], visit)

    def _send_event(self, e: SendProgress) -> None:
        tr = services(self).tr
        if e.event == "sending":
            text = tr(f"上报 {e.period} {e.batch_id[:8]}（第 {e.attempt} 次）…",
                      f"Sending {e.period} {e.batch_id[:8]} (try {e.attempt})…")  # fmt: skip
        elif e.event == "sending_file":
            text = tr(f"上传扫描件 {e.detail}（第 {e.attempt} 次）…",
                      f"Uploading the scan {e.detail} (try {e.attempt})…")  # fmt: skip
        elif e.event == "retrying":
            text = tr(f"{e.wait:.0f} 秒后重试 {e.batch_id[:8]}：{e.text('zh')}",
                      f"Retrying {e.batch_id[:8]} in {e.wait:.0f} s: {e.text('en')}")  # fmt: skip
        else:
            text = f"{e.batch_id[:8]}: {e.text(services(self).lang)}"
        done = e.index - (0 if e.event in ("acknowledged", "failed", "pending") else 1)
        self._from_thread(text, done, e.total)

    def action_attach(self) -> None:
        svc = services(self)
        p = self.selected_period()

        def chosen(path: str | None) -> None:
            if not path:
                return

            def work() -> str:
                from fieldtui.sync.attach import attach_scan

                def go(store: Any) -> str:
                    r = attach_scan(store, svc.campaign, p.label, Path(path).expanduser())
                    if not r.added:
                        return svc.tr(f"✓ 批次 {r.batch.short_id} 已有此文件",
                                      f"✓ Batch {r.batch.short_id} already has this file")  # fmt: skip
                    return svc.tr(f"✓ 已附加 {r.file.name} 到批次 {r.batch.short_id}",
                                  f"✓ Attached {r.file.name} to batch {r.batch.short_id}")  # fmt: skip

                return self._run(go)

            self._start("attach", svc.tr("正在附加扫描件…", "Attaching the scan…"), work)

        self.app.push_screen(
            PathPrompt(
                svc.tr(f"盖章页扫描件（PDF/JPG/PNG）附加到 {p.label}：",
                       f"Scan of the stamped pages (PDF/JPG/PNG) for {p.label}:"),
                placeholder=svc.tr("文件路径", "file path"),
            ),
            chosen,
        )  # fmt: skip

    def days_left_for(self, p: Period) -> int:
        return days_left(p, services(self).today())
