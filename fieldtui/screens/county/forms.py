"""The county's two small forms, as typed modals: draw a sample, give a verdict.

Enter in any field submits (after checking it; the message names the field), Esc cancels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.style import Style
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from fieldtui.domain.review import VERDICTS, verdict_label
from fieldtui.screens.county.base import CountyNode


@dataclass(frozen=True, slots=True)
class DrawRequest:
    mode: str  # share | count
    value: float
    seed: str
    reviewer: str


@dataclass(frozen=True, slots=True)
class VerdictRequest:
    verdict: str
    reason: str
    stations: tuple[str, ...]
    reviewer: str


def parse_amount(text: str) -> tuple[str, float] | None:
    """``20%`` or ``0.2`` -> a share; ``3`` -> a count; anything else -> None."""
    t = text.strip().replace("％", "%")
    try:
        if t.endswith("%"):
            return "share", float(t[:-1]) / 100
        if t.isdigit():
            return "count", float(int(t))
        return "share", float(t)
    except ValueError:
        return None


class Choice(RadioButton):
    """A radio button whose chosen state shows in its shape, not only its colour: ``▐●▌`` when
    chosen, ``▐ ▌`` when not (and a bold label, forms.tcss), so it reads with NO_COLOR too."""

    @property
    def _button(self) -> Content:
        # As Textual 8.2.8's ToggleButton._button, with a blank inside when not chosen.
        button_style = self.get_visual_style("toggle--button")
        side_style = Style(foreground=button_style.background, background=self.background_colors[1])
        return Content.assemble(
            (self.BUTTON_LEFT, side_style),
            (self.BUTTON_INNER if self.value else " ", button_style),
            (self.BUTTON_RIGHT, side_style),
        )


class _Form(CountyNode, ModalScreen[Any]):
    CSS_PATH = "forms.tcss"
    BINDINGS = [Binding("escape", "cancel", show=False)]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _error(self, text: str) -> None:
        self.query_one(".form-error", Static).update(text)


class DrawModal(_Form):
    """How many stations to draw per township, and the seed."""

    def __init__(self, period: str, reviewer: str) -> None:
        super().__init__()
        self.period = period
        self.reviewer = reviewer

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label(self.tr(f"抽取 {self.period} 的抽查样本", f"Draw the {self.period} sample"),
                        classes="form-title")  # fmt: skip
            yield Label(self.tr("每个镇乡抽取：比例（如 20%）或个数（如 2）",
                                "Per township: a share (e.g. 20%) or a count (e.g. 2)"))  # fmt: skip
            yield Input("20%", id="amount")
            yield Label(self.tr("种子（留空则随机；记录在案，可复核）",
                                "Seed (empty: random; stored so the draw can be checked)"))  # fmt: skip
            yield Input(id="seed")
            yield Label(self.tr("抽取人", "Drawn by"))
            yield Input(self.reviewer, id="reviewer")
            yield Static(classes="form-error")
            yield Static(self.tr("Enter 抽取 · Esc 取消", "Enter draws · Esc cancels"),
                         classes="form-help")  # fmt: skip

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from fieldtui.domain.errors import Refusal
        from fieldtui.domain.sampling import Rule

        amount = parse_amount(self.query_one("#amount", Input).value)
        if amount is None:
            self._error(self.tr("比例或个数：写 20% 或 2", "Share or count: write 20% or 2"))
            self.query_one("#amount", Input).focus()
            return
        try:
            Rule(*amount)
        except Refusal as exc:
            self._error(str(exc))
            return
        reviewer = self.query_one("#reviewer", Input).value.strip()
        if not reviewer:
            self._error(self.tr("请写明抽取人", "Say who draws"))
            self.query_one("#reviewer", Input).focus()
            return
        seed = self.query_one("#seed", Input).value.strip()
        self.dismiss(DrawRequest(amount[0], amount[1], seed, reviewer))


class VerdictModal(_Form):
    """The verdict on a batch: accepted, returned or accepted with corrections."""

    def __init__(
        self, unit: str, batch_id: str, stations: list[tuple[int, str]], reviewer: str
    ) -> None:
        super().__init__()
        self.unit = unit
        self.batch_id = batch_id
        self.stations = stations
        self.reviewer = reviewer

    def compose(self) -> ComposeResult:
        lang = self.app_.lang
        with Vertical(classes="form"):
            yield Label(self.tr(f"{self.unit} 批次 {self.batch_id[:8]} 的审核意见",
                                f"Verdict on {self.unit} batch {self.batch_id[:8]}"),
                        classes="form-title")  # fmt: skip
            # A re-score that changed a verdict suggests returning the batch.
            default = "returned" if self.stations else "accepted"
            with RadioSet(id="verdict"):
                for v in VERDICTS:
                    yield Choice(verdict_label(v, lang), value=v == default, id=f"v-{v}")
            yield Label(self.tr("理由（退回、修正后通过必填）",
                                "Reason (required to return or correct)"))  # fmt: skip
            yield Input(id="reason")
            yield Label(self.tr("涉及的服务站（编号，空格分隔）", "Stations concerned (ids)"))
            yield Input(" ".join(str(s) for s, _ in self.stations), id="stations")
            yield Label(self.tr("审核人", "Reviewer"))
            yield Input(self.reviewer, id="reviewer")
            yield Static(classes="form-error")
            yield Static(self.tr("Enter 记录 · Esc 取消", "Enter records · Esc cancels"),
                         classes="form-help")  # fmt: skip

    def on_input_submitted(self, event: Input.Submitted) -> None:
        radio = self.query_one("#verdict", RadioSet)
        pressed = radio.pressed_button
        if pressed is None or pressed.id is None:
            self._error(self.tr("请选择审核意见", "Choose a verdict"))
            return
        verdict = pressed.id.removeprefix("v-")
        reason = self.query_one("#reason", Input).value.strip()
        if verdict != "accepted" and not reason:
            self._error(self.tr("请写明理由", "A reason is required"))
            self.query_one("#reason", Input).focus()
            return
        stations = tuple(self.query_one("#stations", Input).value.split())
        if verdict == "accepted":
            stations = ()
        reviewer = self.query_one("#reviewer", Input).value.strip()
        if not reviewer:
            self._error(self.tr("请写明审核人", "Say who decides"))
            return
        self.dismiss(VerdictRequest(verdict, reason, stations, reviewer))
