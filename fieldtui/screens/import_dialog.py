"""Import a ledger file: check it row by row, show the importer's report, write only on request.

The importer (fieldtui.store.ledger_io) does the work: ``plan_import(path, store, campaign)``
reads and checks the whole file without writing (in a worker thread: openpyxl is slow to load);
``apply_import(store, plan)`` writes it in one transaction, and refuses if the ledger changed in
between. This dialog shows ``plan.report(lang)`` before anything is written and never offers to
write a plan with problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from fieldtui.screens.context import services
from fieldtui.screens.keys import scoped
from fieldtui.widgets.fields import FieldInput
from fieldtui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from fieldtui.domain.ledger_table import ImportPlan


@scoped("form")
class ImportDialog(ModalScreen[bool]):
    """Dismisses with True when the file was written, False otherwise."""

    SCOPE = "form"
    CSS_PATH = "import_dialog.tcss"
    DESCRIPTION = (
        "导入台账文件：输入文件路径后按Enter逐行检查，查看报告；没有错误时按Ctrl+S写入。"
        "检查不写入任何数据。",
        "Import a ledger file: type its path and press Enter to check it row by row and read "
        "the report; with no errors, Ctrl+S writes it. Checking writes nothing.",
    )

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.initial = path
        self.plan: ImportPlan | None = None  # a checked plan without problems

    def compose(self) -> ComposeResult:
        tr = services(self).tr
        with Vertical(id="import-box"):
            yield Static(tr("导入台账文件", "Import a ledger file"), id="import-title")
            yield FieldInput(
                self.initial,
                placeholder=tr(
                    "文件路径（.xlsx 或 .csv），按 Enter 检查",
                    "file path (.xlsx or .csv), Enter to check",
                ),
                compact=True,
                id="import-path",
            )
            with VerticalScroll(id="import-report-box"):
                yield Static(tr("尚未检查。", "Not checked yet."), id="import-report", markup=False)
            yield Static(id="import-state", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#import-path", Input))
        if self.initial:
            self.check(self.initial)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.check(event.value.strip())

    def on_input_changed(self, event: Input.Changed) -> None:
        # A new path invalidates the report shown for the old one.
        if self.plan is not None:
            self.plan = None
            self._state("")

    def _state(self, text: str, cls: str = "") -> None:
        state = self.query_one("#import-state", Static)
        state.update(text)
        state.set_classes(cls)

    def check(self, raw: str) -> None:
        tr = services(self).tr
        self.plan = None
        self.query_one("#import-report", Static).update(tr("正在检查……", "Checking…"))
        self._state("")
        self._plan(Path(raw).expanduser())

    @work(thread=True, exclusive=True, group="import-check")
    def _plan(self, path: Path) -> None:
        from fieldtui.store.ledger_io import plan_import

        svc = services(self)
        # plan_import never raises for a bad file: the plan carries the problem. It only reads.
        plan = plan_import(path, svc.store, svc.campaign)
        self.app.call_from_thread(self._show, plan, "\n".join(plan.report(svc.lang)))

    def _show(self, plan: ImportPlan, report: str) -> None:
        tr = services(self).tr
        self.query_one("#import-report", Static).update(report)
        self.plan = plan if plan.ok else None
        if not plan.ok:
            self._state(
                tr("有错误：未写入任何数据。请改正文件后再检查。",
                   "Errors: nothing was written. Fix the file and check again."),
                "error",
            )  # fmt: skip
        elif not plan.has_changes:
            self._state(
                tr(
                    "台账已是最新，没有需要写入的内容。",
                    "The ledger is up to date: nothing to write.",
                ),
                "ok",
            )
        else:
            self._state(
                tr(f"检查通过：新增 {len(plan.adds)} 个，更新 {len(plan.updates)} 个。"
                   "按 Ctrl+S 写入台账，Esc 放弃。",
                   f"Checked: {len(plan.adds)} to add, {len(plan.updates)} to update. "
                   "Ctrl+S writes them, Esc cancels."),
                "ok",
            )  # fmt: skip

    def action_save(self) -> None:
        svc = services(self)
        if self.plan is None:
            self.notify(
                svc.tr(
                    "请先检查文件，没有错误时才能写入。",
                    "Check the file first; only a clean plan is written.",
                ),
                severity="warning",
            )
            return
        from fieldtui.store.ledger_io import LedgerRefusal, apply_import

        try:
            added, updated = apply_import(svc.store, self.plan)
        except LedgerRefusal as exc:  # e.g. the ledger changed since the check: nothing written
            self.plan = None
            self._state(exc.message(svc.lang), "error")
            return
        self.notify(
            svc.tr(f"台账已导入：新增 {added} 个，更新 {updated} 个。",
                   f"Ledger imported: {added} added, {updated} updated.")
        )  # fmt: skip
        self.dismiss(added + updated > 0)

    def action_cancel(self) -> None:
        self.dismiss(False)
