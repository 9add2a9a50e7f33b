"""A real ``fieldtui county serve`` in a subprocess, for end-to-end and fault tests.

::

    srv = start_county(tmp_path / "county", units=["丰收镇", "长乐镇"])
    try:
        httpx.post(srv.url + "/api/v1/batches", headers=..., content=...)
        srv.store_counts()           # {batch_id: copies}
    finally:
        srv.stop()

The server runs uvicorn on 127.0.0.1 with an ephemeral port (``--port 0``); the fixture reads the
bound address the command prints, waits for ``/api/v1/health``, and registers one token per unit
(through the county store, the same code ``county token add`` uses). ``stop()`` sends SIGTERM and
waits for a clean exit. The server's stderr (its request log) is kept in ``srv.log_path``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# Limits loose enough for ordinary tests; tests of the limits pass their own.
TEST_ARGS = ("--rate", "0", "--token-rate", "0")


def test_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FIELDTUI_HOME"] = str(home)
    env["FIELDTUI_LANG"] = "en"
    env.pop("HTTP_PROXY", None)
    env.pop("HTTPS_PROXY", None)
    env.pop("ALL_PROXY", None)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def fieldtui(
    home: Path, *args: str, check: bool = True, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real ``fieldtui`` command with ``--home home``."""
    proc = subprocess.run(
        [sys.executable, "-m", "fieldtui", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=test_env(home),
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"fieldtui {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def register_tokens(home: Path, units: Sequence[str]) -> dict[str, str]:
    from fieldtui.county.auth import new_token, token_hash
    from fieldtui.county.intake import now_iso
    from fieldtui.county.store import open_county

    tokens: dict[str, str] = {}
    with open_county(home) as store:
        for unit in units:
            token = new_token()
            store.add_token(unit, token_hash(token), now_iso())
            tokens[unit] = token
    return tokens


@dataclass
class CountyServer:
    home: Path
    proc: subprocess.Popen[str]
    url: str
    port: int
    log_path: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError(f"the county server did not stop within {timeout}s") from None
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> CountyServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def copies(self) -> dict[str, int]:
        """Rows per batch id in the county database (read-only, while the server runs)."""
        from fieldtui.county.store import open_county

        with open_county(self.home) as store:
            return store.copies()

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return fieldtui(self.home, *args, check=check)


def start_county(
    home: Path,
    units: Sequence[str] = (),
    args: Sequence[str] = TEST_ARGS,
    timeout: float = 20,
    verify: Any = True,
) -> CountyServer:
    """``verify``: the CA file to check an HTTPS server's certificate with (``--ssl-certfile``)."""
    home.mkdir(parents=True, exist_ok=True)
    tokens = register_tokens(home, units) if units else {}
    log_path = home / "server.log"
    log = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fieldtui",
            "--home",
            str(home),
            "county",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=test_env(home),
    )
    log.close()
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"(https?)://127\.0\.0\.1:(\d+)", line)
    if m is None:
        proc.kill()
        proc.wait(5)
        raise AssertionError(
            f"county serve did not print its address: {line!r}\n{log_path.read_text()}"
        )
    port = int(m.group(2))
    url = f"{m.group(1)}://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    if isinstance(verify, str):
        import ssl

        verify = ssl.create_default_context(cafile=verify)
    with httpx.Client(trust_env=False, verify=verify) as client:
        while True:
            try:
                if client.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"county serve did not come up\n{log_path.read_text()}")
            time.sleep(0.05)
    return CountyServer(home, proc, url, port, log_path, tokens)
