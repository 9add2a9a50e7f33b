"""The real app in a real terminal: ``python -m fieldtui`` started from a shell in a tmux pane.

The shell records the terminal's settings (``stty -a``) before the app starts and after it ends,
the app's pid (``exec`` keeps it) and its exit status, then waits in the same pane, so that
the terminal the app left behind can still be inspected: its ``stty`` flags, and tmux's view of
the pane's modes (alternate screen, mouse reporting, cursor)::

    with AppInShell(home, env) as t:
        t.wait_for("服务站")
        t.keys("F4")
        os.kill(t.pid(), signal.SIGTERM)
        t.wait_exit()
        t.stty_before(), t.stty_after(), t.modes()
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from types import TracebackType

from tests.support.env import PYTHON, REPO, subprocess_env

# tmux's flags for the modes an app may leave a terminal in.
MODE_FLAGS = ("alternate_on", "mouse_any_flag", "mouse_all_flag", "mouse_button_flag",
              "mouse_standard_flag", "mouse_sgr_flag", "mouse_utf8_flag", "cursor_flag",
              "keypad_flag", "keypad_cursor_flag")  # fmt: skip
# stty flags that a program in raw mode turns off (or on) and must put back.
STTY_FLAGS = ("icanon", "echo", "isig", "iexten", "icrnl", "ixon", "opost", "onlcr")


def stty_flags(text: str) -> dict[str, bool]:
    words = text.replace("\n", " ").split()
    return {f: (f in words) and (f"-{f}" not in words) for f in STTY_FLAGS}


class AppInShell:
    def __init__(self, home: Path, work: Path, *app_args: str, width: int = 110,
                 height: int = 32, pace: float = 0.0, **env: str) -> None:  # fmt: skip
        self.pace = pace
        if shutil.which("tmux") is None:
            raise AssertionError("tmux is required (apt-get install tmux)")
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.socket = f"fieldtui-rel-{uuid.uuid4().hex[:8]}"
        full = subprocess_env(TERM="xterm-256color", **env)
        exports = " ".join(f"{k}={shlex.quote(full[k])}" for k in
                           ("PYTHONPATH", "TERM", *env) if k in full)  # fmt: skip
        w = {n: shlex.quote(str(work / n)) for n in ("pid", "status", "before", "after")}
        app = " ".join(shlex.quote(a) for a in (PYTHON, "-m", "fieldtui", "--home", str(home),
                                                *app_args))  # fmt: skip
        script = (
            f"cd {shlex.quote(str(REPO))}; stty -a > {w['before']}; "
            f"env {exports} sh -c 'echo $$ > {w['pid']}; exec {app}'; "
            f"echo $? > {w['status']}.tmp; stty -a > {w['after']}; "
            f"mv {w['status']}.tmp {w['status']}; sleep 600"
        )
        self._tmux("new-session", "-d", "-s", "app", "-x", str(width), "-y", str(height),
                   "sh", "-c", script)  # fmt: skip

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              timeout=20)  # fmt: skip

    def __enter__(self) -> AppInShell:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self._tmux("kill-server")

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "app").stdout

    def keys(self, *keys: str) -> None:
        """Named keys one by one, ``pace`` seconds apart (0.1: a brisk typist)."""
        for key in keys:
            self._tmux("send-keys", "-t", "app", key)
            time.sleep(self.pace)

    def type(self, text: str) -> None:
        """Text in one burst, as a paste or an input method delivers it."""
        self._tmux("send-keys", "-t", "app", "-l", text)
        time.sleep(0.1)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.02)
        raise AssertionError(f"{text!r} did not appear; the screen was:\n{screen}")

    def pid(self, timeout: float = 20) -> int:
        path = self.work / "pid"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = path.read_text().strip() if path.exists() else ""
            if text:
                return int(text)
            time.sleep(0.02)
        raise AssertionError("the app did not start")

    def wait_exit(self, timeout: float = 20) -> int | None:
        """The app's exit status once the shell has recorded it (None on timeout)."""
        path = self.work / "status"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if path.exists():
                return int(path.read_text().strip())
            time.sleep(0.01)
        return None

    def stty_before(self) -> dict[str, bool]:
        return stty_flags((self.work / "before").read_text())

    def stty_after(self) -> dict[str, bool]:
        return stty_flags((self.work / "after").read_text())

    def modes(self) -> dict[str, str]:
        fmt = " ".join(f"#{{{f}}}" for f in MODE_FLAGS)
        values = self._tmux("display-message", "-p", "-t", "app", fmt).stdout.split()
        return dict(zip(MODE_FLAGS, values, strict=True))
