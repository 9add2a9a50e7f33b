"""Secrets at rest and in messages (issue 5, items 9 and 14).

- ``settings.toml`` is created with mode 0600 whatever the umask, stays 0600 when rewritten, and
  no temporary file is left beside it;
- a token in a settings file that other users can read is refused end to end: ``fieldtui send``
  (a real process, against a real county server) exits with a message naming the file and
  ``chmod 600``, and nothing reaches the county; ``FIELDTUI_TOKEN`` still works;
- secret values are masked wherever they are held (``Secret``), and refusals about them never
  show them: a non-ASCII SMTP password is refused by name before any connection.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldtui.campaigns import active
from fieldtui.settings import Secret, SettingsError, load_settings
from fieldtui.store.store import open_store
from fieldtui.sync.errors import SyncError
from tests.support.county_server import CountyServer, start_county
from tests.support.env import PYTHON, subprocess_env
from tests.sync.helpers import UNIT, make_settings, small_township

TOKEN = "Tk9-secretTOKENvalue_abcdefghijklmnopqrstuv"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def fieldtui(home: Path, *args: str, umask: int | None = None, stdin: str | None = None,
             **env: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        [PYTHON, "-m", "fieldtui", "--home", str(home), "--lang", "en", *args],
        input=stdin, capture_output=True, text=True, timeout=120, env=subprocess_env(**env),
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),
    )  # fmt: skip


def test_settings_file_is_created_0600_whatever_the_umask(tmp_path: Path) -> None:
    for umask in (0o000, 0o022, 0o077):
        home = tmp_path / f"u{umask:o}"
        r = fieldtui(home, "config", "set", "token", "-", umask=umask, stdin=TOKEN + "\n")
        assert r.returncode == 0, r.stderr
        path = home / "settings.toml"
        assert mode(path) == 0o600, (oct(umask), oct(mode(path)))
        assert [p.name for p in home.iterdir() if "settings" in p.name] == ["settings.toml"]
        assert TOKEN not in r.stdout + r.stderr
        # Rewritten (another key) it stays private, and a file someone opened up is closed again.
        os.chmod(path, 0o644)
        assert fieldtui(home, "config", "set", "unit", UNIT, umask=umask).returncode == 0
        assert mode(path) == 0o600
        assert load_settings(home).token() == TOKEN


@pytest.fixture
def county(tmp_path: Path) -> Iterator[CountyServer]:
    with start_county(tmp_path / "county", units=[UNIT]) as srv:
        yield srv


@pytest.mark.parametrize("opened", [0o644, 0o640, 0o604, 0o660])
def test_send_refuses_a_token_others_can_read(tmp_path: Path, county: CountyServer,
                                              opened: int) -> None:  # fmt: skip
    home = tmp_path / "township"
    token = county.tokens[UNIT]
    make_settings(home, endpoint=county.url, token=token)
    with open_store(home) as store:
        small_township(store, active(home))
    path = home / "settings.toml"
    os.chmod(path, opened)
    r = fieldtui(home, "send", "--quarter", "2023Q2")
    assert r.returncode == 2, r.stdout + r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert str(path) in line and "chmod 600" in line and "token" in line, line
    assert token not in r.stdout + r.stderr
    assert "POST" not in county.log() and county.copies() == {}
    # The token is not used until the file is private again, or when given in the environment.
    r = fieldtui(home, "send", "--json", FIELDTUI_TOKEN=token)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["acknowledged"] == 1
    assert mode(path) == opened  # sending never rewrites the settings file
    os.chmod(path, 0o600)
    assert fieldtui(home, "send").returncode == 0


def test_a_readable_file_without_a_token_is_no_problem(tmp_path: Path) -> None:
    home = tmp_path / "h"
    make_settings(home)
    os.chmod(home / "settings.toml", 0o644)
    assert load_settings(home).token() == ""  # nothing secret in it: nothing refused


def test_secret_values_are_masked_wherever_they_are_held(home: Path) -> None:
    s = make_settings(home, token=TOKEN)
    s.set("smtp.password", "pw-0123456789")
    held = [s.get("token"), s.get("smtp.password"), s.token(), s.values, s]
    shown = " ".join([*(repr(x) for x in held), *(str(x) for x in held),
                      *(f"{x}" for x in held)])  # fmt: skip
    assert TOKEN not in shown and "pw-0123456789" not in shown
    assert s.display("token") == "******" and s.display("smtp.password") == "******"
    assert s.get("token") == TOKEN and s.get("token").reveal() == TOKEN
    assert bool(s.get("token")) and not Secret("")
    s.save()
    assert load_settings(home).get("smtp.password") == "pw-0123456789"


def test_refusals_about_secrets_do_not_show_them(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = make_settings(home)
    bad = "line1\nsecret-part-xyz"
    with pytest.raises(SettingsError) as info:
        s.set("token", bad)
    assert "secret-part-xyz" not in str(info.value) and "token" in str(info.value)
    monkeypatch.setenv("FIELDTUI_TOKEN", "env\x01secret-part-xyz")
    with pytest.raises(SettingsError) as info:
        s.token()
    assert "secret-part-xyz" not in str(info.value) and "FIELDTUI_TOKEN" in str(info.value)


def test_a_non_ascii_smtp_password_is_refused_by_name(home: Path) -> None:
    from fieldtui.sync.mail import smtp_config

    s = make_settings(home)
    for key, value in {"smtp.host": "smtp.qq.com", "smtp.user": "x@qq.com",
                       "smtp.password": "我的QQ密码123"}.items():  # fmt: skip
        s.set(key, value)
    with pytest.raises(SyncError) as info:
        smtp_config(s)
    assert "smtp.password" in info.value.en and "我的QQ密码123" not in info.value.en + info.value.zh


def test_saving_settings_on_a_full_disk_is_a_refusal_naming_the_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = make_settings(home, token=TOKEN)
    before = (home / "settings.toml").read_bytes()
    s.set("officer", "新的经办人")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(SettingsError) as info:
        s.save()
    monkeypatch.undo()
    assert "settings.toml" in str(info.value) and "No space left" in str(info.value)
    assert (home / "settings.toml").read_bytes() == before
    assert [p.name for p in home.iterdir() if "settings" in p.name] == ["settings.toml"]


async def test_the_app_warns_at_start_and_its_send_refuses_the_token(
    tmp_path: Path, county: CountyServer
) -> None:
    from fieldtui.app import FieldApp

    home = tmp_path / "township"
    make_settings(home, endpoint=county.url, token=county.tokens[UNIT])
    with open_store(home) as store:
        small_township(store, active(home))
    path = home / "settings.toml"
    for opened, warned in ((0o600, False), (0o644, True)):
        os.chmod(path, opened)
        app = FieldApp(home, "en", today=dt.date(2023, 6, 20), blink=False, check_storage=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.2)
            shown = [n.message for n in app._notifications]
            if warned:
                await pilot.press("f6")  # the batches area
                await pilot.pause(0.3)
                await pilot.press("u")  # send
                await app.workers.wait_for_complete()
                await pilot.pause()
                status = str(app.screen.query_one("#job-status").render())
        assert any("chmod 600" in m and str(path) in m for m in shown) == warned, shown
    assert "chmod 600" in status and county.tokens[UNIT] not in status, status
    assert "POST" not in county.log() and county.copies() == {}
