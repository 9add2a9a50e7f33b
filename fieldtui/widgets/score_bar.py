"""Always-visible score summary and one-line info bars, drawn with the Line API.

Both repaint themselves (never the layout) when their data changes: a scoring key costs two short
lines here, not a re-layout of the screen as ``Static.update()`` would by default.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import Result
from fieldtui.widgets.cjkwrap import wrap

STYLE_NAMES = ("muted", "bold", "accent", "ok", "warn", "error", "badge-ok", "badge-bad",
               "badge-open", "current")  # fmt: skip


class _LineWidget(Widget):
    """Shared style lookup for the bars below."""

    PREFIX: ClassVar[str] = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._st: dict[str, Style] = {}

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._st = {}

    def _styles(self) -> dict[str, Style]:
        if not self._st:
            base = self.rich_style
            st = {"plain": base}
            for name in STYLE_NAMES:
                st[name] = base + self.get_component_rich_style(
                    f"{self.PREFIX}--{name}", partial=True
                )
            self._st = st
        return self._st

    def _strip(self, parts: list[tuple[str, str]], right: list[tuple[str, str]]) -> Strip:
        """Left parts, then the right parts flush right. The right parts always show: the left
        ones are cut (with an ellipsis) to make room."""
        st = self._styles()
        width = self.size.width
        left = Strip([Segment(t, st[s]) for t, s in parts])
        rstrip = Strip([Segment(t, st[s]) for t, s in right])
        room = width - rstrip.cell_length - 1
        if right and room > 1:
            if left.cell_length > room:
                left = left.crop(0, room - 1) + Strip([Segment("…", st["plain"])])
            left = left.adjust_cell_length(room + 1, st["plain"])
            return (left + rstrip).adjust_cell_length(width, st["plain"])
        return left.crop(0, width).adjust_cell_length(width, st["plain"])


_BAR_CSS = """
    & > .{p}--muted {{ color: $text-muted; }}
    & > .{p}--bold {{ text-style: bold; }}
    & > .{p}--accent {{ color: $text-accent; text-style: bold; }}
    & > .{p}--ok {{ color: $text-success; }}
    & > .{p}--warn {{ color: $text-warning; text-style: bold; }}
    & > .{p}--error {{ color: $text-error; text-style: bold; }}
    & > .{p}--badge-ok {{ background: $success; color: $text; text-style: bold; }}
    & > .{p}--badge-bad {{ background: $error; color: $text; text-style: bold; }}
    & > .{p}--badge-open {{ background: $panel-lighten-2; color: $text; }}
    & > .{p}--current {{ text-style: bold reverse; }}
"""


class InfoLine(_LineWidget):
    """One line of styled parts, left and right aligned (a title, a status line).

    With ``max_lines`` above 1, a message of one part that is too long for the width wraps onto
    more lines (Chinese line-breaking rules, fieldtui.widgets.cjkwrap), the right parts on the
    last; the widget grows and shrinks with it, which lays the screen out again only when its
    number of lines changes.
    """

    PREFIX = "info-line"
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"info-line--{n}" for n in STYLE_NAMES}
    DEFAULT_CSS = (
        "InfoLine { height: 1; background: $panel; color: $foreground;\n"
        + _BAR_CSS.format(p="info-line")
        + "}"
    )

    def __init__(self, *, id: str | None = None, max_lines: int = 1) -> None:
        super().__init__(id=id)
        self.parts: list[tuple[str, str]] = []
        self.right: list[tuple[str, str]] = []
        self.max_lines = max_lines
        self._lines: list[str] = []  # the wrapped text of a one-part message, if it wraps
        self._height = 1

    def set(self, parts: list[tuple[str, str]], right: list[tuple[str, str]] | None = None) -> None:
        """Show ``parts`` (text, style) on the left and ``right`` on the right."""
        right = right or []
        if parts != self.parts or right != self.right:
            self.parts, self.right = parts, right
            self._reflow()
            self.refresh()

    def on_resize(self) -> None:
        self._reflow()

    def _reflow(self) -> None:
        """Wrap a long one-part message (if allowed) and fit the height to it."""
        lines: list[str] = []
        width = self.size.width
        if self.max_lines > 1 and len(self.parts) == 1 and width > 0:
            text = self.parts[0][0]
            room = width - cell_len("".join(t for t, _ in self.right)) - 1
            if cell_len(text) > room:
                lines = [" " + line for line in wrap(text.strip(), room - 1)]
                if len(lines) > self.max_lines:  # the last line is cut with an ellipsis
                    lines = [*lines[: self.max_lines - 1], " ".join(lines[self.max_lines - 1 :])]
        self._lines = lines
        height = max(1, len(lines))
        if height != self._height:
            self._height = height
            self.styles.height = height

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.parts) + " " + "".join(t for t, _ in self.right)

    def render_line(self, y: int) -> Strip:
        if self._lines:
            if y >= len(self._lines):
                return Strip.blank(self.size.width, self._styles()["plain"])
            style = self.parts[0][1]
            last = y == len(self._lines) - 1
            return self._strip([(self._lines[y], style)], self.right if last else [])
        if y:
            return Strip.blank(self.size.width, self._styles()["plain"])
        return self._strip(self.parts, self.right)


class ScoreSummary(_LineWidget):
    """Two lines: the category subtotals, and total = base + bonus, veto, progress, a badge."""

    PREFIX = "score-summary"
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"score-summary--{n}" for n in STYLE_NAMES}
    DEFAULT_CSS = (
        "ScoreSummary { height: 2; background: $boost; color: $foreground;\n"
        + _BAR_CSS.format(p="score-summary")
        + "}"
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.campaign: Campaign | None = None
        self.result: Result | None = None
        self.lang = "zh"
        self.current = 0

    def show(self, campaign: Campaign, lang: str, result: Result, current: int) -> None:
        self.campaign, self.lang, self.result, self.current = campaign, lang, result, current
        self.refresh()

    def set_current(self, category: int) -> None:
        if category != self.current:
            self.current = category
            self.refresh()

    def render_line(self, y: int) -> Strip:
        c, r = self.campaign, self.result
        if c is None or r is None:
            return Strip.blank(self.size.width, self._styles()["plain"])
        if y == 0:
            return self._subtotals(c, r)
        if y == 1:
            return self._totals(c, r)
        return Strip.blank(self.size.width, self._styles()["plain"])

    def _subtotals(self, c: Campaign, r: Result) -> Strip:
        en = self.lang == "en"
        unscored = set(r.unscored)
        width = self.size.width
        for long in (True, False):
            parts: list[tuple[str, str]] = [(" Subtotals " if en else " 小计 ", "muted")]
            if not long:
                parts = [(" ", "plain")]
            for cat in c.categories:
                sub = r.subtotals[cat.number - 1]
                label = f"{cat.number}:" if en else cat.numeral
                text = f"{label}{sub:g}/{cat.subtotal:g}" if long else f"{label}{sub:g}"
                open_ = any(n in unscored for n in cat.items)
                lost = any(n in r.lost for n in cat.items)
                style = "warn" if lost else ("muted" if open_ else "ok")
                if cat.number == self.current:
                    style = "current"
                parts.append((text, style))
                parts.append((" ", "plain"))
            if sum(cell_len(t) for t, _ in parts) <= width:
                break
        return self._strip(parts, [])

    def _totals(self, c: Campaign, r: Result) -> Strip:
        en = self.lang == "en"
        n_items = len(c.items)
        lost = sum(r.lost.values())
        parts: list[tuple[str, str]] = [
            (" Total " if en else " 合计 ", "muted"),
            (f"{r.total:g}", "accent"),
            (f" = {r.base:g} + " + ("bonus " if en else "加分 "), "muted"),
            (f"{r.bonus:g}", "ok" if r.bonus else "plain"),
            (" │ " + ("lost " if en else "扣 "), "muted"),
            (f"{lost:g}", "warn" if lost else "plain"),
            (" │ " + ("veto " if en else "否决 "), "muted"),
        ]
        if r.veto:
            parts.append(("YES" if en else "是", "error"))
        else:
            parts.append(("none" if en else "无", "plain"))
        parts += [
            (" │ " + ("scored " if en else "已评 "), "muted"),
            (f"{r.scored}/{n_items}", "plain" if r.complete else "warn"),
        ]
        if r.veto:
            badge, style = ("VETOED" if en else "一票否决"), "badge-bad"
        elif not r.complete:
            badge, style = ("IN PROGRESS" if en else "评分中"), "badge-open"
        elif r.passed:
            badge, style = ("PASS" if en else "达标"), "badge-ok"
        else:
            badge, style = ("FAIL" if en else "未达标"), "badge-bad"
        return self._strip(parts, [(f" {badge} ", style), (" ", "plain")])
