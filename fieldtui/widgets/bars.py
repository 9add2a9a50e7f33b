"""Period bars for the dashboard: target, planned share and actual rate, drawn in text.

The bars are block characters with a marker at the target, so they read the same in a
16-colour terminal, in 256 colours and with no colour at all; colours only add emphasis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from fieldtui.i18n import percent, signed_percent

FULL = "█"
EMPTY = "░"
MARK = "┃"
PCT_W = 6  # " 18.5%": a rate with one decimal and a space before it


@dataclass(frozen=True, slots=True)
class BarRow:
    """One period's line of the dashboard's bars."""

    label: str
    target: float
    planned: float | None
    rate: float | None
    met: bool
    plan_short: bool
    detail: str = ""  # e.g. "5/24"
    future: bool = False  # the period has not begun: its rate is only "so far"

    @property
    def gap(self) -> float | None:
        return None if self.rate is None else self.rate - self.target


def bar(value: float | None, target: float, width: int) -> tuple[str, int]:
    """The bar's characters and how many of them are filled."""
    filled = 0 if value is None else round(max(0.0, min(1.0, value)) * width)
    chars = [FULL] * filled + [EMPTY] * (width - filled)
    mark = min(width - 1, max(0, round(target * width) - 1)) if width else 0
    if width and target > 0:
        chars[mark] = MARK
    return "".join(chars), filled


def pad(text: str, width: int, right: bool = False) -> str:
    gap = max(0, width - cell_len(text))
    return (" " * gap + text) if right else (text + " " * gap)


class PeriodBars(Widget):
    """One line per period: label, target, planned-share bar, actual-rate bar, gap."""

    DEFAULT_CSS = """
    PeriodBars {
        height: auto;
        & > .bars--head { color: $text-muted; text-style: bold; }
        & > .bars--planned { color: $primary; }
        & > .bars--met { color: $success; }
        & > .bars--behind { color: $error; }
        & > .bars--short { color: $warning; text-style: bold; }
        & > .bars--empty { color: $text-disabled; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "bars--head",
        "bars--planned",
        "bars--met",
        "bars--behind",
        "bars--short",
        "bars--empty",
    }

    def __init__(self, headings: tuple[str, str, str, str, str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.headings = headings  # period, target, planned, actual, gap
        self.rows: list[BarRow] = []

    def set_rows(self, rows: list[BarRow]) -> None:
        self.rows = rows
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 1 + len(self.rows)

    def render(self) -> Text:
        width = max(self.size.width, 40)
        label_w = max([cell_len(self.headings[0]), *(cell_len(r.label) for r in self.rows)]) + 1
        # label, target, bar + pct (x2), the detail (e.g. "13/24") and the gap
        h = self.headings
        target_w = max(5, cell_len(h[1]) + 1)
        gap_w = max(7, cell_len(h[4]) + 1)
        detail_w = max([0, *(cell_len(r.detail) for r in self.rows)])
        fixed = (
            label_w + target_w + 2 * (1 + PCT_W) + 1 + gap_w + (detail_w + 1 if detail_w else 0) + 2
        )
        bar_w = max(6, (width - fixed) // 2)
        head = self.get_component_rich_style("bars--head")
        planned_style = self.get_component_rich_style("bars--planned")
        met = self.get_component_rich_style("bars--met")
        behind = self.get_component_rich_style("bars--behind")
        short = self.get_component_rich_style("bars--short")
        empty = self.get_component_rich_style("bars--empty")
        out = Text(no_wrap=True, overflow="crop")
        out.append(
            pad(h[0], label_w)
            + pad(h[1], target_w, right=True)
            + " "
            + pad(h[2], bar_w + PCT_W)
            + " "
            + pad(h[3], bar_w + PCT_W + (detail_w + 1 if detail_w else 0))
            + " "
            + pad(h[4], gap_w, right=True),
            style=head,
        )
        for r in self.rows:
            out.append("\n")
            out.append(pad(r.label, label_w))
            out.append(pad(percent(r.target), target_w, right=True))
            out.append(" ")
            chars, filled = bar(r.planned, r.target, bar_w)
            p_style = short if r.plan_short else planned_style
            out.append(chars[:filled], style=p_style)
            out.append(chars[filled:], style=empty)
            out.append(
                pad(percent(r.planned), PCT_W, right=True), style=short if r.plan_short else None
            )
            out.append(" ")
            chars, filled = bar(r.rate, r.target, bar_w)
            a_style = met if r.met else (empty if r.future else behind)
            out.append(chars[:filled], style=a_style)
            out.append(chars[filled:], style=empty)
            out.append(pad(percent(r.rate), PCT_W, right=True), style=a_style)
            if detail_w:
                out.append(" " + pad(r.detail, detail_w, right=True))
            out.append(" ")
            out.append(pad(signed_percent(r.gap), gap_w, right=True), style=a_style)
        return out
