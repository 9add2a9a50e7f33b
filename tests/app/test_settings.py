"""The settings screen, driven by keys only; assertions read settings.toml back from disk."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from fieldtui.screens.settings import KeyEditor, SettingsScreen, problem_text
from fieldtui.settings import load_settings
from tests.app.conftest import AppFactory


def read_toml(home: Path) -> dict[str, object]:
    return tomllib.loads((home / "settings.toml").read_text("utf-8"))


async def test_save_general_and_endpoint_settings(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f7")
        assert isinstance(app.screen, SettingsScreen)
        # Focus starts on the reporting unit; endpoint is five fields on, the token after it.
        await pilot.press(*"龙河镇", "tab", *"李明", *["tab"] * 4)
        await pilot.press(*"https://county.example/api/", "tab", *"s3cret-token", "ctrl+s")
        await pilot.pause()
        token_field = app.screen.query_one("#s-token")
        assert token_field.value == ""  # type: ignore[attr-defined]  # never shown again
    data = read_toml(demo_home)
    assert data["unit"] == "龙河镇"
    assert data["officer"] == "李明"
    assert data["endpoint"] == "https://county.example/api"  # normalised by the schema
    assert data["token"] == "s3cret-token"
    assert "campaign" not in data and "lang" not in data  # unchanged defaults are not written
    if os.name == "posix":
        assert stat.S_IMODE((demo_home / "settings.toml").stat().st_mode) == 0o600
    # An empty secret field keeps the stored secret on the next save.
    app = make_app(demo_home)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f7", "end", *"乡", "ctrl+s")
        await pilot.pause()
    data = read_toml(demo_home)
    assert data["unit"] == "龙河镇乡"
    assert data["token"] == "s3cret-token"


async def test_an_error_saves_nothing_and_is_shown_at_its_field(
    make_app: AppFactory, demo_home: Path
) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 40)) as pilot:
        # A good unit, and an SMTP port out of range.
        await pilot.press("f7", *"龙河镇")
        app.screen.query_one("#s-smtp-port").focus()
        await pilot.press(*["backspace"] * 3, *"99999", "ctrl+s")
        await pilot.pause()
        err = str(app.screen.query_one("#e-s-smtp-port").render())
        assert "65535" in err
        assert app.focused is app.screen.query_one("#s-smtp-port")
    assert not (demo_home / "settings.toml").exists()


async def test_language_is_saved_for_the_next_start(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f7", "tab", "tab", "tab")  # unit -> officer -> phone -> language
        await pilot.press("enter")
        await pilot.pause()  # the options overlay is open
        await pilot.press("down", "enter", "ctrl+s")
        await pilot.pause()
    assert load_settings(demo_home).get("lang") == "en"


async def test_rebind_a_key_and_use_it(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 40)) as pilot:
        # Shift+Tab from the first field wraps to the keys table (the last field).
        await pilot.press("f7", "shift+tab")
        assert app.focused is app.screen.query_one("#settings-keys")
        await pilot.press("down", "enter")  # the second action: app.ledger (F3)
        await pilot.pause()
        assert isinstance(app.screen, KeyEditor)
        # F2 is taken by the dashboard: refused, shown at the field.
        await pilot.press(*"f2", "enter")
        assert isinstance(app.screen, KeyEditor)
        assert "总览" in str(app.screen.query_one("#key-error").render())
        await pilot.press("backspace", *"9", "enter", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("f9")
        assert app.current_mode == "ledger"
        await pilot.press("f2", "f3")
        assert app.current_mode == "dashboard"  # F3 no longer opens the ledger
    assert read_toml(demo_home)["keymap"] == {"app.ledger": "f9"}
    # The keymap is read at the next start, and Del restores the default.
    app = make_app(demo_home)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f9")
        assert app.current_mode == "ledger"
        await pilot.press("f7", "shift+tab", "down", "delete", "ctrl+s")
        await pilot.pause()
        await pilot.press("f3")
        assert app.current_mode == "ledger"
    assert "keymap" not in read_toml(demo_home)


@pytest.mark.parametrize(
    ("problem", "zh"),
    [
        ("must be an http:// or https:// address", "应为 http:// 或 https:// 开头的地址"),
        ("must be a whole number 1..100", "应为 1 到 100 之间的整数"),
        ("'ctrl+' is not a key name", "“ctrl+”不是按键名称"),
        ("something new", "something new"),
    ],
)
def test_schema_problems_are_shown_in_chinese(problem: str, zh: str) -> None:
    assert problem_text(problem, "zh") == zh
    assert problem_text(problem, "en") == problem


async def test_batches_follow_the_unit_set_in_settings(
    make_app: AppFactory, demo_home: Path
) -> None:
    """Sealing without a unit points to Settings (not the command line); once the unit is set
    there, the batches header shows it and sealing works."""
    from textual.widgets import Static

    from fieldtui.screens.batches import BatchesScreen

    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f6")
        screen = app.screen
        assert isinstance(screen, BatchesScreen)
        title = screen.query_one("#batches-title", Static)
        assert "未设置填报单位" in str(title.render())
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(screen.query_one("#job-status", Static).render())
        assert "设置（F7）" in status and "config set" not in status
        assert app.store.batches.all(app.campaign.id) == []

        await pilot.press("f7", *"龙河镇", "ctrl+s", "f6")
        await pilot.pause()
        assert app.screen is screen
        assert str(title.render()) == f"报送 · 龙河镇 · {app.campaign.id}"
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "已封存" in str(screen.query_one("#job-status", Static).render())
    assert load_settings(demo_home).get("unit") == "龙河镇"


async def test_language_shows_the_one_in_effect_and_says_why(
    make_app: AppFactory, demo_home: Path
) -> None:
    """Started with --lang en over the default (Chinese) setting: the field shows English, a
    note says the flag wins, and saving something else does not store the language."""
    from textual.widgets import Select, Static

    app = make_app(demo_home, "en")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        assert app.screen.query_one("#s-lang", Select).value == "en"
        note = str(app.screen.query_one("#lang-note", Static).render())
        assert "--lang" in note and "Chinese" in note
        await pilot.press(*"Longhe", "ctrl+s")
        await pilot.pause()
    data = read_toml(demo_home)
    assert data["unit"] == "Longhe" and "lang" not in data

    app = make_app(demo_home, "zh")  # the setting in effect: no note
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        assert app.screen.query_one("#s-lang", Select).value == "zh"
        assert not app.screen.query("#lang-note")


async def test_the_officers_phone_follows_the_ledgers_rule(
    make_app: AppFactory, demo_home: Path
) -> None:
    from textual.widgets import Static

    app = make_app(demo_home)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f7", "tab", "tab", *"abc", "ctrl+s")  # unit -> officer -> phone
        await pilot.pause()
        err = str(app.screen.query_one("#e-s-phone", Static).render())
        assert "11位手机号" in err
        assert app.focused is app.screen.query_one("#s-phone")
        assert not (demo_home / "settings.toml").exists()
        await pilot.press(*["backspace"] * 3, *"138 0000 1111", "ctrl+s")
        await pilot.pause()
        assert not str(app.screen.query_one("#e-s-phone", Static).render())
    assert read_toml(demo_home)["phone"] == "13800001111"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("023-7012 3456", "023-70123456"), ("+86 139 0000 0000", "13900000000"), ("", "")],
)
def test_phone_setting_is_normalised(typed: str, stored: str) -> None:
    from fieldtui.settings import check_value

    assert check_value("phone", typed) == stored


@pytest.mark.parametrize("typed", ["abc", "12345", "7012345"])  # a bare local number: no area code
def test_phone_setting_refuses_what_the_ledger_refuses(typed: str) -> None:
    from fieldtui.settings import SettingsError, check_value

    with pytest.raises(SettingsError, match="11-digit mobile"):
        check_value("phone", typed)
