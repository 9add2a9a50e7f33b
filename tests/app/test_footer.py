"""The key bar (fieldtui/widgets/footer.py): rebuilt only when its keys change, always current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets._footer import FooterKey

from fieldtui.actions import ACTIONS, BY_ID
from fieldtui.widgets.footer import KeyFooter
from tests.app.conftest import AppFactory


def footer_keys(app: Any) -> list[tuple[str, str]]:
    footer = app.screen.query_one(KeyFooter)
    return [(k.key_display, k.description) for k in footer.query(FooterKey)]


def expected_keys(app: Any) -> list[tuple[str, str]]:
    """What the footer shows when everything fits: the first key of each shown action, the
    screen's in the action table's order, then the app's, help last."""
    first: dict[str, tuple[str, str]] = {}
    ids: dict[str, str] = {}
    for _n, b, _e, _t in app.screen.active_bindings.values():
        if b.show and b.action not in first:
            first[b.action] = (app.get_key_display(b), b.description)
            ids[b.action] = b.id or ""
    order = {a.id: i for i, a in enumerate(ACTIONS)}

    def rank(action: str) -> tuple[bool, bool, int]:
        aid = ids[action]
        return (action == "help", BY_ID[aid].scope == "app", order[aid])

    return [first[a] for a in sorted(first, key=rank)]


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
            assert footer_keys(app)[1] == ("Ctrl+N", "新增")  # the rebound key keeps its place
            assert footer_keys(app) == expected_keys(app)
    finally:
        KeyFooter.recompose = real  # type: ignore[method-assign]


def footer_text(app: Any) -> str:
    return "  ".join(f"{k} {d}" for k, d in footer_keys(app))


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_scoring_footer_fits_80_columns_and_points_to_help(
    make_app: AppFactory, demo_home: Path, lang: str
) -> None:
    """At 80 columns the footer shows whole keys, the most important first (y n c p), and ends
    with F1 labelled "all keys"; at 140 columns everything, help labelled as usual."""
    app = make_app(demo_home, lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", "escape")  # the scoring area; no station picked
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        keys = footer_keys(app)
        assert [k for k, _ in keys][:4] == ["y", "n", "c", "p"]
        assert keys[-1] == ("F1", "全部按键" if lang == "zh" else "All keys")
        drawn = sum(k.outer_size.width for k in footer.query(FooterKey))
        assert drawn <= 80
        assert all(k.region.right <= 80 for k in footer.query(FooterKey))

        await pilot.resize_terminal(140, 24)
        await pilot.pause()
        await pilot.pause()
        keys = footer_keys(app)
        assert keys[-1] == ("F1", "帮助" if lang == "zh" else "Help")
        assert ("v", "一票否决" if lang == "zh" else "Veto") in keys


async def test_a_rebound_key_keeps_its_place_in_a_narrow_footer(
    make_app: AppFactory, demo_home: Path
) -> None:
    (demo_home / "settings.toml").write_text('[keymap]\n"scoring.pick" = "ctrl+o"\n', "utf-8")
    app = make_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", "escape")
        await pilot.pause()
        await pilot.pause()
        assert [k for k, _ in footer_keys(app)][:4] == ["y", "n", "c", "Ctrl+O"]


async def test_english_ledger_footer_ends_with_the_help_key_whole(
    make_app: AppFactory, demo_home: Path
) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.pause()
        text = footer_text(app)
        assert text.startswith("/ Filter  a Add") and text.endswith("F1 All keys")
