"""The rubric as a scrollable sheet, drawn line by line (Textual's Line API).

A scoring key changes one item; redrawing the whole sheet for that (as a DataTable does when a cell
changes) costs more than everything else a key does. So this widget keeps the wrapped layout of the
57 items, caches each drawn line, and on a change invalidates and repaints only the lines of the
items that changed and their category's header line. Moving the cursor repaints the two items
involved; the view scrolls only when the cursor leaves it, and then by a third of a page, so most
keys repaint two or three lines.

The widget draws what it is given and owns only the cursor: ``scores``, ``notes`` and ``marks``
(item -> "pending" / "failed") belong to the screen, which calls :meth:`RubricSheet.changed` after
changing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click, Resize
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import Result
from fieldtui.widgets.cjkwrap import wrap

# Line kinds in the layout
CAT, ITEM, NOTE = 0, 1, 2

# Fixed columns of an item's first line: gutter, number, gap | text | gap, max, gap, score, gap, state
_LEFT = 5
_MAX_W, _SCORE_W, _STATE_W = 4, 5, 8
_RIGHT = 1 + _MAX_W + 1 + _SCORE_W + 1 + _STATE_W
NOTE_INDENT = 2


def fmt_score(v: float | None) -> str:
    if v is None:
        return "·"
    return f"{v:g}"


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells (with an ellipsis if cut)."""
    if cell_len(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out += ch
        used += w
    return out + "…"


def pad(text: str, width: int, right: bool = False) -> str:
    gap = max(width - cell_len(text), 0)
    return " " * gap + text if right else text + " " * gap


class RubricSheet(ScrollView, can_focus=True):
    """The standard items grouped by category: number, wrapped text, maximum, score, state."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "rubric-sheet--category",
        "rubric-sheet--cursor",
        "rubric-sheet--gutter",
        "rubric-sheet--number",
        "rubric-sheet--max",
        "rubric-sheet--full",
        "rubric-sheet--zero",
        "rubric-sheet--partial",
        "rubric-sheet--unscored",
        "rubric-sheet--pending",
        "rubric-sheet--failed",
        "rubric-sheet--note",
        "rubric-sheet--typed",
    }

    DEFAULT_CSS = """
    RubricSheet {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: hidden;
        background: $surface;
        color: $foreground;
        & > .rubric-sheet--category { background: $panel; color: $text; text-style: bold; }
        & > .rubric-sheet--cursor { background: $accent 30%; }
        & > .rubric-sheet--gutter { color: $accent; text-style: bold; }
        & > .rubric-sheet--number { color: $text-muted; }
        & > .rubric-sheet--max { color: $text-muted; }
        & > .rubric-sheet--full { color: $text-success; }
        & > .rubric-sheet--zero { color: $text-error; text-style: bold; }
        & > .rubric-sheet--partial { color: $text-warning; text-style: bold; }
        & > .rubric-sheet--unscored { color: $text-muted; }
        & > .rubric-sheet--pending { color: $text-muted; }
        & > .rubric-sheet--failed { background: $error; color: $text; text-style: bold; }
        & > .rubric-sheet--note { color: $text-muted; text-style: italic; }
        & > .rubric-sheet--typed { background: $accent; color: $text; text-style: bold; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", show=False),
        Binding("up", "cursor_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("home,ctrl+home", "first", show=False),
        Binding("end,ctrl+end", "last", show=False),
    ]

    class CursorMoved(Message):
        """The cursor is on another item."""

        def __init__(self, item: int) -> None:
            self.item = item
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.campaign: Campaign | None = None
        self.lang = "zh"
        self.scores: Mapping[int, float] = {}
        self.notes: Mapping[int, str] = {}
        self.marks: Mapping[int, str] = {}
        self.result: Result | None = None
        self.typed: str | None = None
        self.cursor = 1
        self._lines: list[tuple[int, int, int]] = []
        self._span: dict[int, tuple[int, int]] = {}
        self._cat_y: dict[int, int] = {}
        self._text: dict[int, list[str]] = {}
        self._note: dict[int, list[str]] = {}
        self._cache: dict[int, Strip] = {}
        self._width = 0
        self._st: dict[str, Style] = {}

    # -- data -----------------------------------------------------------------------------------

    def load(
        self,
        campaign: Campaign,
        lang: str,
        scores: Mapping[int, float],
        notes: Mapping[int, str],
        marks: Mapping[int, str],
        result: Result,
        cursor: int | None = None,
    ) -> None:
        """Show another sheet (a new station, a reload)."""
        self.campaign = campaign
        self.lang = lang
        self.scores, self.notes, self.marks, self.result = scores, notes, marks, result
        self.typed = None
        if cursor is not None:
            self.cursor = cursor
        self._width = 0
        self._relayout()
        self.refresh()
        self.follow(force=True)

    def changed(self, items: Iterable[int], result: Result) -> None:
        """Items' scores or marks changed: repaint their lines and their categories' headers."""
        self.result = result
        c = self.campaign
        if c is None:
            return
        cats = set()
        for n in items:
            self._repaint_item(n)
            cats.add(c.item(n).category)
        for cat in cats:
            y = self._cat_y.get(cat)
            if y is not None:
                self._repaint_lines(y, 1)

    def marks_changed(self, items: Iterable[int]) -> None:
        """Only the saved/pending/failed state of items changed: repaint their first lines."""
        for n in items:
            span = self._span.get(n)
            if span is not None:
                self._repaint_lines(span[0], 1)

    def notes_changed(self, item: int) -> None:
        """A note was added, changed or removed: its height may change, so lay out again."""
        self._width = 0
        self._relayout()
        self.refresh()
        self.follow()

    def set_typed(self, text: str | None) -> None:
        """Show the digits being typed in the cursor item's score cell."""
        if text != self.typed:
            self.typed = text
            self._repaint_item(self.cursor)

    # -- cursor ---------------------------------------------------------------------------------

    def move_to(self, item: int, *, notify: bool = True) -> None:
        """Put the cursor on ``item``; post CursorMoved unless the caller says it knows."""
        c = self.campaign
        if c is None or not c.has_item(item) or item == self.cursor:
            if c is not None and c.has_item(item):
                self.follow()
            return
        old = self.cursor
        self.cursor = item
        self.typed = None
        self._repaint_item(old)
        self._repaint_item(item)
        self.follow()
        if notify:
            self.post_message(self.CursorMoved(item))

    def follow(self, *, force: bool = False) -> None:
        """Scroll so the cursor's item is in view: when it has left the view, put it a third of
        the way down (its category header too when it opens the category)."""
        span = self._span.get(self.cursor)
        height = self.scrollable_content_region.height
        if span is None or height <= 0:
            return
        first, count = span
        top = round(self.scroll_y)
        if not force and first >= top and first + count <= top + height:
            return
        c = self.campaign
        assert c is not None
        if c.category(c.item(self.cursor).category).items[0] == self.cursor:
            first = self._cat_y[c.item(self.cursor).category]
        target = max(first - height // 3, 0)
        if force and first + count <= height:
            target = 0
        self.scroll_to(y=target, animate=False, force=True)

    def action_cursor_down(self) -> None:
        c = self.campaign
        if c is not None and self.cursor < c.items[-1].number:
            self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        if self.cursor > 1:
            self.move_to(self.cursor - 1)

    def action_page_down(self) -> None:
        self._page(+1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_first(self) -> None:
        self.move_to(1)

    def action_last(self) -> None:
        if self.campaign is not None:
            self.move_to(self.campaign.items[-1].number)

    def _page(self, direction: int) -> None:
        c = self.campaign
        span = self._span.get(self.cursor)
        if c is None or span is None:
            return
        height = max(self.scrollable_content_region.height - 2, 1)
        goal = span[0] + direction * height
        firsts = [(self._span[it.number][0], it.number) for it in c.items]
        if direction > 0:
            best = max((n for y, n in firsts if y <= goal), default=self.cursor)
        else:
            best = min((n for y, n in firsts if y >= goal), default=1)
        self.move_to(best)

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        y = offset.y + round(self.scroll_y)
        if 0 <= y < len(self._lines):
            kind, ref, _sub = self._lines[y]
            if kind in (ITEM, NOTE):
                self.move_to(ref)
            elif self.campaign is not None:
                self.move_to(self.campaign.category(ref).items[0])

    # -- layout ---------------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        if self._relayout():
            self.follow()

    def _relayout(self) -> bool:
        """Wrap every text to the current width. True if anything changed."""
        c = self.campaign
        width = self.scrollable_content_region.width
        if c is None or width <= 0 or width == self._width:
            return False
        self._width = width
        tw = max(width - _LEFT - _RIGHT, 8)
        lines: list[tuple[int, int, int]] = []
        span: dict[int, tuple[int, int]] = {}
        cat_y: dict[int, int] = {}
        texts: dict[int, list[str]] = {}
        notes: dict[int, list[str]] = {}
        for cat in c.categories:
            cat_y[cat.number] = len(lines)
            lines.append((CAT, cat.number, 0))
            for n in cat.items:
                first = len(lines)
                texts[n] = wrap(c.item(n).label(self.lang), tw)
                lines.extend((ITEM, n, i) for i in range(len(texts[n])))
                note = self.notes.get(n)
                if note:
                    notes[n] = wrap(note, tw - NOTE_INDENT)
                    lines.extend((NOTE, n, i) for i in range(len(notes[n])))
                span[n] = (first, len(lines) - first)
        self._lines, self._span, self._cat_y = lines, span, cat_y
        self._text, self._note = texts, notes
        self._cache.clear()
        self.virtual_size = Size(width, len(lines))
        self.refresh()
        return True

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._st = {}
        self._cache.clear()

    # -- drawing --------------------------------------------------------------------------------

    def _repaint_item(self, item: int) -> None:
        span = self._span.get(item)
        if span is not None:
            self._repaint_lines(*span)

    def _repaint_lines(self, first: int, count: int) -> None:
        cache = self._cache
        for y in range(first, first + count):
            cache.pop(y, None)
        top = round(self.scroll_y)
        height = self.scrollable_content_region.height
        lo, hi = max(first, top), min(first + count, top + height)
        if lo < hi:  # only what is on screen needs a repaint
            self.refresh(Region(0, lo - top, self._width, hi - lo))

    def _styles(self) -> dict[str, Style]:
        if not self._st:
            base = self.rich_style
            # The full style, so the cursor's translucent background is blended with the sheet's.
            cursor = Style(bgcolor=self.get_component_rich_style("rubric-sheet--cursor").bgcolor)
            st: dict[str, Style] = {"plain": base, "plain+c": base + cursor}
            for name in (
                "category", "gutter", "number", "max", "full", "zero", "partial", "unscored",
                "pending", "failed", "note", "typed",
            ):  # fmt: skip
                s = base + self.get_component_rich_style(f"rubric-sheet--{name}", partial=True)
                st[name] = s
                st[name + "+c"] = s + cursor if name not in ("failed", "typed") else s
            self._st = st
        return self._st

    def render_line(self, y: int) -> Strip:
        vy = y + round(self.scroll_y)
        strip = self._cache.get(vy)
        if strip is None:
            strip = self._draw(vy)
            self._cache[vy] = strip
        return strip

    def _draw(self, y: int) -> Strip:
        width = self._width
        st = self._styles()
        if y >= len(self._lines) or self.campaign is None:
            return Strip.blank(width, st["plain"])
        kind, ref, sub = self._lines[y]
        if kind == CAT:
            return self._draw_category(ref, width, st)
        on = ref == self.cursor
        c = "+c" if on else ""
        gutter = Segment("▌" if on else " ", st["gutter" + c])
        tw = width - _LEFT - _RIGHT
        if kind == NOTE:
            text = ("✎ " if sub == 0 else "  ") + self._note[ref][sub]
            segs = [
                gutter,
                Segment(" " * (_LEFT - 1), st["plain" + c]),
                Segment(pad(text, tw + _RIGHT), st["note" + c]),
            ]
            return Strip(segs, width).adjust_cell_length(width, st["plain" + c])
        text = self._text[ref][sub]
        if sub > 0:
            segs = [
                gutter,
                Segment(" " * (_LEFT - 1) + pad(text, tw + _RIGHT), st["plain" + c]),
            ]
            return Strip(segs, width).adjust_cell_length(width, st["plain" + c])
        item = self.campaign.item(ref)
        value = self.scores.get(ref)
        mark = self.marks.get(ref, "")
        typed = self.typed if on else None
        if typed is not None:
            score_text, score_style = pad(typed + "▏", _SCORE_W, right=True), st["typed"]
        else:
            if value is None:
                name = "unscored"
            elif value >= item.max:
                name = "full"
            elif value == 0:
                name = "zero"
            else:
                name = "partial"
            if mark == "pending":
                name = "pending"
            score_text, score_style = pad(fmt_score(value), _SCORE_W, right=True), st[name + c]
        if mark == "failed":
            state, state_style = ("✗UNSAVED" if self.lang == "en" else "✗未保存"), st["failed"]
        elif mark == "pending":
            state, state_style = "…", st["pending" + c]
        elif ref in self.notes:
            state, state_style = "✎", st["note" + c]
        else:
            state, state_style = "", st["plain" + c]
        plain = st["plain" + c]
        segs = [
            gutter,
            Segment(f"{ref:>3} ", st["failed"] if mark == "failed" else st["number" + c]),
            Segment(pad(text, tw) + " ", plain),
            Segment(pad(f"{item.max:g}", _MAX_W, right=True), st["max" + c]),
            Segment(" ", plain),
            Segment(score_text, score_style),
            Segment(" ", plain),
            Segment(pad(state, _STATE_W), state_style),
        ]
        return Strip(segs, width).adjust_cell_length(width, plain)

    def _draw_category(self, number: int, width: int, st: dict[str, Style]) -> Strip:
        c = self.campaign
        assert c is not None
        cat = c.category(number)
        label = (
            f"{cat.number}. {cat.name_en}" if self.lang == "en" else f"{cat.numeral}、{cat.name}"
        )
        sub = self.result.subtotals[number - 1] if self.result is not None else 0.0
        left = sum(1 for n in cat.items if n not in self.scores)
        style = st["category"]
        state = "✓"
        if left:
            state = f"{left} left" if self.lang == "en" else f"{left}项未评"
        head = " " + fit(label, width - _RIGHT - 2)
        segs = [
            Segment(pad(head, width - _RIGHT), style),
            Segment(" " + pad(f"{cat.subtotal:g}", _MAX_W, right=True) + " ", style),
            Segment(pad(f"{sub:g}", _SCORE_W, right=True) + " ", style),
            Segment(pad(state, _STATE_W), style),
        ]
        return Strip(segs, width).adjust_cell_length(width, style)

    # -- queries for the screen and tests -------------------------------------------------------

    def item_at_top(self) -> int | None:
        top = round(self.scroll_y)
        for y in range(top, len(self._lines)):
            kind, ref, _ = self._lines[y]
            if kind != CAT:
                return ref
        return None

    def line_count(self) -> int:
        return len(self._lines)
