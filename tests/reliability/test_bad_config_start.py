"""Bad rubric or settings files at start (issue 5, item 16).

The real app (``python -m fieldtui`` on a pseudo-terminal) is started on a home whose
``campaigns/`` folder holds one malformed campaign file, or whose ``settings.toml`` is malformed.
Each is refused before the app takes the terminal (no switch to the alternate screen is ever
written), with one line naming the file and the key, and a non-zero exit status. A well-formed
extra campaign, in the same place, does start the app (the control that shows the test can tell).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from fieldtui.paths import config_dir
from tests.support.pty_app import ALT_SCREEN_ON, start_app

SHIPPED = (config_dir() / "campaigns" / "fengdu-2023.toml").read_text(encoding="utf-8")
GOOD = SHIPPED.replace('id = "fengdu-2023"', 'id = "test-2024"', 1)
_ITEM1_MAX = re.search(r"\[\[items\]\]\nnumber = 1\n(?:.*\n)*?max = \S+", GOOD)
assert _ITEM1_MAX is not None

# name -> (what is replaced, by what, the key the message must name)
CAMPAIGN_FAULTS = {
    "pass mark above the total": ("pass_mark = 90", "pass_mark = 190", "scoring.pass_mark"),
    "maxima do not sum to the total": ("total = 100", "total = 99", "scoring.total"),
    "score step": ("score_step = 0.5", "score_step = 0.3", "scoring.score_step"),
    "an item without a maximum": (_ITEM1_MAX.group(0), _ITEM1_MAX.group(0).rsplit("=", 1)[0] + "= -1", "items[0].max"),
    "bonus item over the cap": ("number = 58\nmax = 4", "number = 58\nmax = 40", "bonus[0].max"),
    "veto number": ("[veto]\nnumber = 61", "[veto]\nnumber = 62", "veto.number"),
    "target above 100 %": ("target = 0.25", "target = 1.5", "periods[0].target"),
    "due before the last day": ("due = 2023-04-30T23:59:00+08:00", "due = 2023-04-01T23:59:00+08:00", "periods[0].due"),
    "unknown key": ("schema = 1\n", 'schema = 1\ncolour = "red"\n', "colour"),
    "wrong type": ("max_people_served = 100", 'max_people_served = "many"', "max_people_served"),
    "mailbox": ('mailbox = "240960637@qq.com"', 'mailbox = "nope"', "mailbox"),
    "schema version": ("schema = 1\n", "schema = 2\n", "schema"),
    "the shipped id again": ('id = "test-2024"', 'id = "fengdu-2023"', "id"),
    "TOML syntax": ("schema = 1\n", "schema = 1\n[[items]\n", "(syntax)"),
}  # fmt: skip

SETTINGS_FAULTS = {
    "unknown key": ('colour = "red"\n', "colour"),
    "language": ('lang = "fr"\n', "lang"),
    "port": ('[smtp]\nport = "abc"\n', "smtp.port"),
    "keymap action": ('[keymap]\n"no.such.action" = "f9"\n', "keymap.no.such.action"),
    "keymap keys": ('[keymap]\n"scoring.full" = "not a key"\n', "keymap.scoring.full"),
    "unknown campaign": ('campaign = "nope-2099"\n', "campaign"),
    "backups to keep": ("[backup]\nkeep = 0\n", "backup.keep"),
    "unknown table": ("[weird]\nx = 1\n", "weird"),
    "endpoint": ('endpoint = "ftp://county"\n', "endpoint"),
    "secret with a control character": ('token = "abc\\u0001def-secret"\n', "token"),
    "TOML syntax": ("unit = \n", "(syntax)"),
}


def refused(home: Path, file: Path, key: str) -> str:
    """Start the app; it must exit 2 before taking the terminal, naming file and key. Returns
    what it wrote."""
    app = start_app(home, "--lang", "en")
    try:
        code = app.wait(30)
        assert code is not None, f"the app started (or hung) on a bad file:\n{app.text()[-800:]}"
    finally:
        app.close()
    assert code == 2, (code, app.text())
    assert ALT_SCREEN_ON not in app.output, "the app took the terminal before refusing"
    lines = [x for x in app.text().replace("\r", "").splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("fieldtui: "), lines
    assert str(file) in lines[0] and f"{key}:" in lines[0], (key, lines[0])
    assert "Traceback" not in app.text()
    return app.text()


@pytest.mark.parametrize("fault", sorted(CAMPAIGN_FAULTS))
def test_a_malformed_campaign_file_stops_the_app_before_it_starts(fault: str, home: Path) -> None:
    old, new, key = CAMPAIGN_FAULTS[fault]
    assert old in GOOD, fault
    path = home / "campaigns" / "test-2024.toml"
    path.parent.mkdir()
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    refused(home, path, key)


def test_a_campaign_file_that_is_not_utf8_is_refused(home: Path) -> None:
    path = home / "campaigns" / "gbk.toml"
    path.parent.mkdir()
    path.write_bytes(GOOD.encode("gb18030"))
    refused(home, path, "(file)")


@pytest.mark.parametrize("fault", sorted(SETTINGS_FAULTS))
def test_a_malformed_settings_file_stops_the_app_before_it_starts(fault: str, home: Path) -> None:
    text, key = SETTINGS_FAULTS[fault]
    path = home / "settings.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    shown = refused(home, path, key)
    assert "def-secret" not in shown  # a refused secret is named, never shown


def test_a_well_formed_extra_campaign_starts_the_app(home: Path) -> None:
    """The control: the same place, a good file: the app takes the terminal and quits cleanly."""
    (home / "campaigns").mkdir()
    (home / "campaigns" / "test-2024.toml").write_text(GOOD, encoding="utf-8")
    (home / "settings.toml").write_text('campaign = "test-2024"\n', encoding="utf-8")
    (home / "settings.toml").chmod(0o600)
    app = start_app(home, "--lang", "en", FIELDTUI_TODAY="2023-06-20")
    try:
        assert app.read_until(ALT_SCREEN_ON, 30), app.text()[-800:]
        assert app.read_until(b"Import a ledger file", 30), app.text()[-800:]  # first start
        app.send(b"\x11")  # Ctrl+Q
        assert app.wait(30) == 0, app.text()[-800:]
    finally:
        app.close()
    shutil.rmtree(home / "campaigns")
