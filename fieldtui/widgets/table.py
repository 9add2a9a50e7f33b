"""A light, virtual table for station lists: filter and sort cost only the rows on screen.

Textual's DataTable measures every cell when rows are added (~100-150 ms per 1,000 rows here), so
rebuilding it on each filter key cannot stay under one frame at a county's 1,000 stations. This
table keeps every row, a sort order and a filtered view as plain lists; a key press re-filters
precomputed haystacks (fieldtui.domain.search) and redraws the visible lines only.

Columns have fixed widths, computed once when rows are set (CJK-aware). A table made with
``fit=True`` never scrolls sideways: the columns that do not fit its width are left out whole,
the lowest ``priority`` first (the rightmost of equals first). Keys: up/down, page up/down,
home/end move the cursor; enter posts :class:`FastTable.RowSelected`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from fieldtui.domain.search import filter_indices

Cell = str | Text


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    min_width: int = 2
    max_width: int = 40
    justify: str = "left"  # "left" | "right" | "center"
    priority: int = 0  # with FastTable(fit=True): lower goes first when the width is short


@dataclass(slots=True)
class Row:
    key: int
    cells: list[Cell]
    hay: str = ""
    sort_values: dict[str, Any] = field(default_factory=dict)


class FastTable(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    FastTable {
        height: 1fr;
        background: $surface;
        & > .fasttable--header { text-style: bold; background: $panel; color: $text; }
        & > .fasttable--cursor { background: $block-cursor-blurred-background; }
        &:focus > .fasttable--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .fasttable--empty { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fasttable--header",
        "fasttable--cursor",
        "fasttable--empty",
    }
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("up", "cursor_up", show=False),
        Binding("down", "cursor_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("home", "first", show=False),
        Binding("end", "last", show=False),
        Binding("enter", "select", show=False),
    ]

    class RowHighlighted(Message):
        def __init__(self, table: FastTable, key: int | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

    class RowSelected(Message):
        def __init__(self, table: FastTable, key: int) -> None:
            super().__init__()
            self.table = table
            self.key = key

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        empty_text: str = "",
        pass_horizontal_keys: bool = False,
        fit: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.pass_horizontal_keys = pass_horizontal_keys
        self.fit = fit
        self.columns = list(columns)
        self.widths = [max(c.min_width, cell_len(c.label)) for c in self.columns]
        self.shown = list(range(len(self.columns)))  # the indices of the columns drawn
        self._fitted_room = 0  # the width the shown columns were chosen for
        self.empty_text = empty_text
        self._rows: dict[int, Row] = {}
        self._order: list[int] = []  # every row key, in sort order
        self._visible: list[int] = []  # the keys shown (filtered), in sort order
        self._query = ""
        self._cursor = 0
        self._line_cache: dict[int, Strip] = {}
        self._base_style_cache: Style | None = None

    # -- data ----------------------------------------------------------------------------------

    def set_rows(self, rows: Iterable[Row]) -> None:
        """Replace every row (keeps the sort order function and the filter)."""
        key = self.cursor_key
        self._rows = {r.key: r for r in rows}
        self._order = list(self._rows)
        if self._sorter is not None:
            self._apply_sort()
        self._fit_widths(self._rows.values(), reset=True)
        self._refilter(keep=key)

    def update_row(self, row: Row) -> None:
        """Replace one row's cells (or add it at the end); redraws that line only."""
        if row.key not in self._rows:
            self._order.append(row.key)
        self._rows[row.key] = row
        self._line_cache.pop(row.key, None)
        if self._fit_widths([row]):
            self._line_cache.clear()
        self._refilter(keep=self.cursor_key)

    def row(self, key: int) -> Row | None:
        return self._rows.get(key)

    @property
    def row_count(self) -> int:
        return len(self._visible)

    @property
    def total_count(self) -> int:
        return len(self._rows)

    @property
    def visible_keys(self) -> list[int]:
        return list(self._visible)

    # -- filter and sort -----------------------------------------------------------------------

    _sorter: Callable[[Row], Any] | None = None
    _reverse = False

    def filter(self, query: str) -> None:
        """Show the rows whose haystack matches every term of ``query`` (see domain.search)."""
        self._query = query
        self._refilter(keep=self.cursor_key)

    def sort_by(self, key: Callable[[Row], Any], reverse: bool = False) -> None:
        self._sorter = key
        self._reverse = reverse
        cursor = self.cursor_key
        self._apply_sort()
        self._refilter(keep=cursor)

    def _apply_sort(self) -> None:
        assert self._sorter is not None
        sorter = self._sorter
        self._order.sort(key=lambda k: sorter(self._rows[k]), reverse=self._reverse)

    def _refilter(self, keep: int | None) -> None:
        if self._query.strip():
            hays = [self._rows[k].hay for k in self._order]
            self._visible = [self._order[i] for i in filter_indices(self._query, hays)]
        else:
            self._visible = list(self._order)
        if keep is not None and keep in self._rows:
            try:
                self._cursor = self._visible.index(keep)
            except ValueError:
                self._cursor = 0
        self._cursor = max(0, min(self._cursor, len(self._visible) - 1))
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.RowHighlighted(self, self.cursor_key))

    # -- cursor --------------------------------------------------------------------------------

    @property
    def cursor_key(self) -> int | None:
        if not self._visible:
            return None
        return self._visible[max(0, min(self._cursor, len(self._visible) - 1))]

    def move_cursor_to(self, key: int) -> None:
        if key in self._visible:
            self._set_cursor(self._visible.index(key))

    def _set_cursor(self, index: int) -> None:
        if not self._visible:
            return
        index = max(0, min(index, len(self._visible) - 1))
        if index == self._cursor:
            return
        old = self._cursor
        self._cursor = index
        self._scroll_cursor_into_view()
        self._refresh_row_index(old)
        self._refresh_row_index(index)
        self.post_message(self.RowHighlighted(self, self.cursor_key))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def action_cursor_up(self) -> None:
        self._set_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self._set_cursor(self._cursor - self._page())

    def action_page_down(self) -> None:
        self._set_cursor(self._cursor + self._page())

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self._visible) - 1)

    def action_scroll_left(self) -> None:
        if self.pass_horizontal_keys:
            raise SkipAction()  # the screen binds left/right (the plan moves a month)
        super().action_scroll_left()

    def action_scroll_right(self) -> None:
        if self.pass_horizontal_keys:
            raise SkipAction()
        super().action_scroll_right()

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        y = event.y - 1 + round(self.scroll_y)
        if event.y >= 1 and 0 <= y < len(self._visible):
            self._set_cursor(y)
            if event.chain > 1:
                self.action_select()

    # -- layout and drawing --------------------------------------------------------------------

    def _fit_widths(self, rows: Iterable[Row], reset: bool = False) -> bool:
        if reset:
            self.widths = [max(c.min_width, cell_len(c.label)) for c in self.columns]
        changed = False
        widths = self.widths
        maxes = [c.max_width for c in self.columns]
        for r in rows:
            for i, cell in enumerate(r.cells):
                n = cell_len(cell) if isinstance(cell, str) else cell.cell_len
                w = min(n, maxes[i])
                if w > widths[i]:
                    widths[i] = w
                    changed = True
        if changed or reset:
            self._line_cache.clear()
            self._fit_columns()
        return changed

    def _fit_columns(self) -> bool:
        """Choose the columns to draw (all, unless ``fit`` and the width is short). True if the
        choice changed."""
        shown = list(range(len(self.columns)))
        room = self._fitted_room = self.scrollable_content_region.width
        if self.fit and room > 0:
            # Lowest priority first; of equals, the rightmost first.
            order = sorted(shown, key=lambda i: (self.columns[i].priority, -i))
            used = sum(self.widths) + 2 * len(self.widths)
            for i in order:
                if used <= room or len(shown) == 1:
                    break
                shown.remove(i)
                used -= self.widths[i] + 2
        if shown == self.shown:
            return False
        self.shown = shown
        self._line_cache.clear()
        return True

    @property
    def line_width(self) -> int:
        return sum(self.widths[i] for i in self.shown) + 2 * len(self.shown)

    def _update_virtual_size(self) -> None:
        """Set the scrollable size after the rows shown changed.

        ``virtual_size`` is a reactive that lays the whole screen out again when it changes, and a
        filter key changes it nearly every time (the number of matches): that layout pass cost
        more than the filtering. The table's own size does not depend on its content, so only the
        scrollbars follow (as Textual does for a size change without layout,
        ``Widget._size_updated``); a scrollbar appearing or going still lays the screen out, through
        its own reactive.
        """
        size = Size(self.line_width, len(self._visible) + 1)
        if size == self.virtual_size:
            return
        self.set_reactive(ScrollView.virtual_size, size)
        if self.is_mounted:
            self._scroll_update(size)

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height - 1  # minus the header
        if height <= 0:
            return
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False)

    def _refresh_row_index(self, index: int) -> None:
        y = index - round(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh_line(y)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        if self._fit_columns():
            self.refresh()
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    def _cells_strip(self, cells: Sequence[Cell], style: Style) -> Strip:
        console = self.app.console
        segments: list[Segment] = []
        for i in self.shown:
            cell = cells[i] if i < len(cells) else ""
            width = self.widths[i]
            text = Text(cell) if isinstance(cell, str) else cell.copy()
            text.no_wrap = True
            text.end = ""
            text.truncate(width, overflow="ellipsis")
            pad = width - text.cell_len
            justify = self.columns[i].justify
            if justify == "right":
                text.pad_left(pad)
            elif justify == "center":
                text.pad_left(pad // 2)
                text.pad_right(pad - pad // 2)
            else:
                text.pad_right(pad)
            segments.append(Segment(" ", style))
            segments.extend(text.render(console))
            segments.append(Segment(" ", style))
        return Strip(Segment.apply_style(segments, style), self.line_width)

    @property
    def _base_style(self) -> Style:
        """The table's own style (``rich_style`` walks every ancestor: once, not per line)."""
        if self._base_style_cache is None:
            self._base_style_cache = self.rich_style
        return self._base_style_cache

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self._base_style
        if y == 0:
            # A vertical scrollbar coming or going narrows the room without a resize.
            room = self.scrollable_content_region.width
            if self.fit and room != self._fitted_room and self._fit_columns():
                self._update_virtual_size()
                self.refresh()
            header = base + self.get_component_rich_style("fasttable--header")
            strip = self._cells_strip([c.label for c in self.columns], header)
            return strip.crop_extend(scroll_x, scroll_x + width, header)
        index = scroll_y + y - 1
        if not self._visible:
            if y == 1 and self.empty_text:
                empty = base + self.get_component_rich_style("fasttable--empty")
                return Strip([Segment(f" {self.empty_text}", empty)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(self._visible):
            return Strip.blank(width, base)
        key = self._visible[index]
        if index == self._cursor:
            cursor = base + self.get_component_rich_style("fasttable--cursor")
            strip = self._cells_strip(self._rows[key].cells, cursor)
            return strip.crop_extend(scroll_x, scroll_x + width, cursor)
        cached = self._line_cache.get(key)
        if cached is None:
            cached = self._line_cache[key] = self._cells_strip(self._rows[key].cells, base)
        strip = cached
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style_cache = None
        self._line_cache.clear()
