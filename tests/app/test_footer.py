"""The key bar (fieldtui/widgets/footer.py): rebuilt only when its keys change, always current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets._footer import FooterKey

from fieldtui.widgets.footer import KeyFooter
from tests.app.conftest import AppFactory


def footer_keys(app: Any) -> list[tuple[str, str]]:
    footer = app.screen.query_one(KeyFooter)
    return [(k.key_display, k.description) for k in footer.query(FooterKey)]


def expected_keys(app: Any) -> list[tuple[str, str]]:
    """What Textual's Footer shows: the first key of each shown action."""
    first: dict[str, tuple[str, str]] = {}
    for _n, b, _e, _t in app.screen.active_bindings.values():
        if b.show:
            first.setdefault(b.action, (app.get_key_display(b), b.description))
    return list(first.values())


async def test_the_footer_is_built_once_at_start_and_follows_focus_and_keymap(
    make_app: AppFactory, demo_home: Path
) -> None:
    app = make_app(demo_home)
    rebuilds: list[str] = []
    real = KeyFooter.recompose

    async def counting(self: KeyFooter) -> None:
        rebuilds.append(type(self.screen).__name__)
        await real(self)

    KeyFooter.recompose = counting  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            await pilot.pause()
            assert rebuilds == ["DashboardScreen"]
            assert footer_keys(app) == expected_keys(app) != []

            await pilot.press("f3")
            await pilot.pause()
            assert footer_keys(app) == expected_keys(app)
            assert ("a", "新增") in footer_keys(app)

            await pilot.press("slash")  # the filter input: letters type, their keys go
            await pilot.pause()
            assert ("a", "新增") not in footer_keys(app)
            assert footer_keys(app) == expected_keys(app)
            await pilot.press("escape")  # back to the table
            await pilot.pause()
            assert ("a", "新增") in footer_keys(app)

            app.set_keymap({"ledger.add": "ctrl+n"})
            app.screen.refresh_bindings()
            await pilot.pause()
            await pilot.pause()
            assert ("Ctrl+N", "新增") in footer_keys(app)
            assert footer_keys(app) == expected_keys(app)
    finally:
        KeyFooter.recompose = real  # type: ignore[method-assign]
