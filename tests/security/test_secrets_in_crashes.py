"""Secrets never reach a crash report (issue 5, item 9).

Textual prints the locals of every frame when an app crashes (``App._fatal_error``: a Rich
traceback with ``show_locals=True``). Each test here makes a real Textual app crash inside a code
path that holds the settings' secrets — reading, checking and saving settings, the county token
on its way into a request, the SMTP password on its way into a login — by forcing an unexpected
error at the deepest point it can (the network library, the disk), then reads the crash report
exactly as Textual renders it and looks for the secret (and for any 12-character piece of it, in
case a long value was cut short). The CLI prints Python's traceback instead: its stderr is checked
the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.app import App

from fieldtui.campaigns import active
from fieldtui.settings import Secret, load_settings
from fieldtui.store.store import open_store
from tests.support.env import PYTHON, subprocess_env
from tests.sync.helpers import make_settings, small_township

TOKEN = "Tk9-secretTOKENvalue_abcdefghijklmnopqrstuv"  # 43 characters, like a county token
PASSWORD = "smtpAUTHcode-0123456789abcdef"
TYPED = "Nw7-typedTOKENvalue_zyxwvutsrqponmlkjihgfed"  # typed into the settings screen
TYPED_SHA = hashlib.sha256(TYPED.encode()).hexdigest()  # (the forced fault finds it by this)


class Crasher(App[None]):
    """Runs ``fn`` the way the app runs a send or a save: in a thread worker, errors fatal."""

    def __init__(self, fn: Callable[[], Any], thread: bool = True) -> None:
        super().__init__()
        self.fn = fn
        self.thread = thread
        self.crash: list[Any] = []

    def _print_error_renderables(self) -> None:
        # Textual prints its crash report here (and clears it): keep a copy to read.
        self.crash = list(self._exit_renderables)
        super()._print_error_renderables()

    def on_mount(self) -> None:
        if self.thread:
            self.run_worker(self.fn, thread=True)
        else:
            self.fn()


async def crash_report(fn: Callable[[], Any], thread: bool = True) -> str:
    """What Textual prints when ``fn`` fails inside an app."""
    app = Crasher(fn, thread)
    with pytest.raises(Exception):  # noqa: B017 - whatever the forced error is
        async with app.run_test() as pilot:
            await pilot.pause(0.5)
    assert app.crash, "the app did not crash"
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, legacy_windows=False)
    for renderable in app.crash:
        console.print(renderable)
    text = out.getvalue()
    assert "Traceback" in text and "─ locals ─" in text, text[:500]
    return text


def leaked(text: str, *secrets: str) -> list[str]:
    """Every secret, or 12-character piece of one, that appears in ``text``."""
    found = []
    for s in secrets:
        pieces = {s[i : i + 12] for i in range(0, max(len(s) - 11, 1))}
        if any(p in text for p in pieces):
            found.append(s)
    return found


@pytest.fixture
def township(home: Path) -> Path:
    make_settings(home, endpoint="http://127.0.0.1:9", token=TOKEN)
    s = load_settings(home)
    s.set("smtp.host", "127.0.0.1")
    s.set("smtp.port", 2525)
    s.set("smtp.security", "none")
    s.set("smtp.user", "officer@example.com")
    s.set("smtp.password", PASSWORD)
    s.save()
    with open_store(home) as store:
        small_township(store, active(home))
    return home


async def test_a_crash_deep_in_the_network_library_during_a_send(
    township: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpcore

    from fieldtui.sync.client import send_pending
    from fieldtui.sync.seal import seal_period

    async def broken(self: Any, request: Any) -> Any:
        raise RuntimeError("a bug deep in the network library")

    monkeypatch.setattr(httpcore.AsyncConnectionPool, "handle_async_request", broken)

    def send() -> None:
        settings = load_settings(township)
        campaign = active(township)
        with open_store(township) as store:
            seal_period(store, campaign, settings, "2023Q2")
            report = send_pending(store, campaign.id, settings)
        # The fault became the batch's error; the app crashes later for some other reason.
        raise RuntimeError(f"the app goes on: {report.outcomes[0].en}")

    report = await crash_report(send)
    assert "unexpected error while sending (RuntimeError)" in report
    assert not leaked(report, TOKEN, PASSWORD), report


@pytest.fixture
def listener() -> Any:
    """A socket that accepts connections and never answers: the request gets written."""
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    srv.close()


async def test_a_crash_inside_h11_while_the_request_headers_are_written(
    township: Path, listener: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deepest point: h11 holds the request event (its repr lists every header)."""
    import h11

    from fieldtui.sync.client import send_pending
    from fieldtui.sync.seal import seal_period

    def broken(self: Any, event: Any) -> Any:
        raise RuntimeError("a bug inside h11")

    monkeypatch.setattr(h11.Connection, "send", broken)
    s = load_settings(township)
    s.set("endpoint", listener)
    s.save()

    def send() -> None:
        settings = load_settings(township)
        campaign = active(township)
        with open_store(township) as store:
            seal_period(store, campaign, settings, "2023Q2")
            report = send_pending(store, campaign.id, settings)
        raise RuntimeError(f"the app goes on: {report.outcomes[0].en}")

    report = await crash_report(send)
    assert "unexpected error while sending (RuntimeError)" in report
    assert not leaked(report, TOKEN, PASSWORD), report


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_crash_deep_in_smtplib_during_a_login(
    township: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import smtplib

    from fieldtui.sync.export import email_period
    from tests.sync.smtpd import smtp_server

    def broken(self: Any, mechanism: str, authobject: Any, *, initial_response_ok: bool = True):
        raise RuntimeError("a bug deep in smtplib")

    monkeypatch.setattr(smtplib.SMTP, "auth", broken)
    with smtp_server(users={"officer@example.com": PASSWORD}) as (_inbox, port):
        s = load_settings(township)
        s.set("smtp.port", port)
        s.save()

        def email() -> None:
            settings = load_settings(township)
            campaign = active(township)
            with open_store(township) as store:
                email_period(store, campaign, settings, "2023Q2")

        report = await crash_report(email)
    assert not leaked(report, TOKEN, PASSWORD), report


async def test_a_token_refused_for_a_readable_file(township: Path) -> None:
    """``Settings.token()`` refuses a token others can read; unhandled, that is a crash."""
    os.chmod(township / "settings.toml", 0o644)

    def send() -> None:
        from fieldtui.sync.client import token_of

        token_of(load_settings(township))

    report = await crash_report(send)
    assert "chmod 600" in report
    assert not leaked(report, TOKEN, PASSWORD), report


async def test_a_bad_settings_file_holding_secrets(township: Path) -> None:
    """A settings file broken after start (a bad key, a syntax error) read again by a worker."""
    path = township / "settings.toml"
    good = path.read_text(encoding="utf-8")
    for broken in (good + 'colour = "red"\n', good + "unit = \n", good.replace("2525", "99999")):
        path.write_text(broken, encoding="utf-8")
        report = await crash_report(lambda: load_settings(township))
        assert "SettingsError" in report, report
        assert not leaked(report, TOKEN, PASSWORD), report


async def test_saving_settings_on_a_full_disk(
    township: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    def save() -> None:
        s = load_settings(township)
        s.set("officer", "新的经办人")
        monkeypatch.setattr(os, "fsync", full)
        try:
            s.save()
        finally:
            monkeypatch.setattr(os, "fsync", real_fsync)

    report = await crash_report(save)
    assert "No space left" in report
    assert not leaked(report, TOKEN, PASSWORD), report


def test_cli_crash_tracebacks_hold_no_secret(township: Path) -> None:
    """An unexpected error under ``fieldtui send``: Python's traceback, no secret in it."""
    script = (
        "import sys, httpcore\n"
        "async def broken(self, request):\n"
        "    raise RuntimeError('a bug deep in the network library')\n"
        "httpcore.AsyncConnectionPool.handle_async_request = broken\n"
        "from fieldtui.cli import main\n"
        f"sys.exit(main(['--home', {str(township)!r}, 'send', '--quarter', '2023Q2']))\n"
    )
    r = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True,
                       env=subprocess_env(), timeout=60)  # fmt: skip
    assert r.returncode != 0
    assert not leaked(r.stdout + r.stderr, TOKEN, PASSWORD), r.stderr


def test_dates_are_not_mistaken_for_secrets() -> None:
    """The leak finder itself finds a piece of a secret (the test can fail)."""
    assert leaked(f"x = '{TOKEN[5:20]}'", TOKEN) == [TOKEN]
    assert leaked(f"{dt.date.today()}", TOKEN) == []


class CrashingApp:
    """The real app, keeping a copy of its crash report (Textual prints it, then clears it)."""

    @staticmethod
    def make(home: Path) -> Any:
        from fieldtui.app import FieldApp

        class App_(FieldApp):
            crash: list[Any] = []

            def _print_error_renderables(self) -> None:
                self.crash = list(self._exit_renderables)
                super()._print_error_renderables()

        return App_(home, "en", today=dt.date(2023, 6, 20), blink=False, check_storage=False)


def render(renderables: list[Any]) -> str:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, legacy_windows=False)
    for r in renderables:
        console.print(r)
    return out.getvalue()


@pytest.mark.parametrize("where", ["checking the typed token", "writing the settings file"])
async def test_the_real_app_crashing_while_a_typed_token_is_saved(
    township: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The settings screen: the officer types a new token and saves; a fault strikes inside."""
    import fieldtui.settings as settings_module

    if where == "checking the typed token":
        real = settings_module._secret

        def broken(v: Any) -> Any:
            if hashlib.sha256(str(Secret(v).reveal()).encode()).hexdigest() == TYPED_SHA:
                raise RuntimeError("a bug while checking a secret")
            return real(v)

        monkeypatch.setattr(settings_module, "_secret", broken)
        monkeypatch.setitem(settings_module.SCHEMA, "token", dataclasses.replace(
            settings_module.SCHEMA["token"], check=broken))  # fmt: skip
    else:

        def broken_write(path: Path, data: Any, *, private: bool = False) -> None:
            raise RuntimeError("a bug while writing the settings")

        monkeypatch.setattr(settings_module, "atomic_write", broken_write)
    app = CrashingApp.make(township)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f7")
            await pilot.pause(0.2)
            app.screen.query_one("#s-token").focus()
            await pilot.press(*TYPED, "ctrl+s")
            await pilot.pause(0.5)
    report = render(app.crash)
    assert "RuntimeError" in report and "─ locals ─" in report
    assert not leaked(report, TOKEN, PASSWORD, TYPED), report
