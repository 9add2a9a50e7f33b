"""Run the real ``python -m fieldtui`` (the app) on a pseudo-terminal and read what it writes.

``start_app(home, *args)`` gives a :class:`PtyApp`: ``read_until(text)``, ``send(bytes)``,
``wait(timeout)`` and everything written so far in ``output`` (raw bytes, escape sequences
included, so a test can tell whether the app took the terminal: ``ALT_SCREEN_ON``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

from tests.support.env import PYTHON, subprocess_env

ALT_SCREEN_ON = b"\x1b[?1049h"
ALT_SCREEN_OFF = b"\x1b[?1049l"


class PtyApp:
    def __init__(self, proc: subprocess.Popen[bytes], master: int) -> None:
        self.proc = proc
        self.master = master
        self.output = b""

    def _pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                data = b""
            self.output += data

    def read_until(self, needle: bytes, timeout: float = 20) -> bool:
        end = time.monotonic() + timeout
        while needle not in self.output and time.monotonic() < end:
            self._pump(0.05)
            if self.proc.poll() is not None:
                self._pump(0.05)
                break
        return needle in self.output

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait(self, timeout: float = 20) -> int | None:
        """The exit status, reading the terminal meanwhile; None if still running."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._pump(0.05)
            if self.proc.poll() is not None:
                for _ in range(5):
                    self._pump(0.02)
                return self.proc.returncode
        return None

    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        with contextlib.suppress(OSError):
            os.close(self.master)


def start_app(home: Path, *args: str, cols: int = 100, rows: int = 30, **env: str) -> PtyApp:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def controlling_terminal() -> None:
        # A session of its own whose controlling terminal is this pty, as in a terminal window:
        # closing the other end (the window) sends it SIGHUP.
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [PYTHON, "-m", "fieldtui", "--home", str(home), *args],
        stdin=slave, stdout=slave, stderr=slave, preexec_fn=controlling_terminal,
        env=subprocess_env(TERM="xterm-256color", **env),
    )  # fmt: skip
    os.close(slave)
    return PtyApp(proc, master)
