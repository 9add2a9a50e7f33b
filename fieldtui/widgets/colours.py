"""When the terminal gives few or no colours, what colour alone told apart must differ otherwise.

With NO_COLOR, Textual's ANSI mode, or a terminal of 16 colours (Rich's "standard" or the old
Windows console), the table header and the focused cursor row can come out in the very same
colours (both bold bright white on grey in tmux): both apps then carry the class ``-few-colours``,
under which their stylesheets draw the cursor row reversed (app.tcss, county.tcss).
"""

from __future__ import annotations

from typing import Any

FEW_COLOURS = "-few-colours"


def few_colours(app: Any) -> bool:
    return bool(
        app.no_color
        or app.native_ansi_color
        or app.console.color_system in (None, "standard", "windows")
    )


def mark_few_colours(app: Any) -> None:
    """Give ``app`` the class ``-few-colours`` when its terminal has few colours."""
    app.set_class(few_colours(app), FEW_COLOURS)
