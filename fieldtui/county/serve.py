"""Run the county endpoint on uvicorn: bind, say where, serve, stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from fieldtui.county.server import County, ServerOptions, build_app
from fieldtui.county.store import open_county


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free port. Listening before uvicorn starts means a
    client that connects early waits in the backlog instead of being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio turns Nagle off (TCP_NODELAY) only on accepted sockets
    # whose proto says TCP; with proto 0 every keep-alive answer waited ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if os.name != "nt":  # on Windows SO_REUSEADDR would let another process share the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _ChinaTimeFormatter(logging.Formatter):
    """Log times in +08:00, like the receipts, whatever the server's own time zone."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        from fieldtui.domain.rubric import CHINA_TZ

        return dt.datetime.fromtimestamp(record.created, CHINA_TZ).isoformat(
            timespec="milliseconds"
        )


def configure_logging(log_file: Path | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    fmt = _ChinaTimeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("fieldtui.county", "uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = False
        lg.setLevel(logging.INFO)
        for h in handlers:
            h.setFormatter(fmt)
            lg.addHandler(h)


def serve(
    home: Path,
    host: str,
    port: int,
    options: ServerOptions,
    *,
    announce: Callable[[str], None],
    log_file: Path | None = None,
    tls: tuple[str, str] | None = None,
) -> str:
    """Serve until SIGTERM or SIGINT; returns the name of the signal that stopped it.

    ``tls`` is (certificate file, key file): HTTPS on the same port instead of HTTP."""
    import uvicorn

    from fieldtui.campaigns import load_all
    from fieldtui.county.limits import guarded_h11_protocol

    campaigns = load_all(home)
    store = open_county(home)
    try:
        store.set_dedup_index(options.dedup)
        sock = bind(host, port)
    except BaseException:
        store.close()
        raise
    county = County(store, campaigns, options)
    configure_logging(log_file)
    config = uvicorn.Config(
        build_app(county),
        http=guarded_h11_protocol(options.head_timeout, options.max_connections_per_client),
        lifespan="on",
        access_log=False,
        log_config=None,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
        limit_concurrency=options.max_connections,
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    server = uvicorn.Server(config)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    announce(f"{'https' if tls else 'http'}://{shown}:{bound_port}")

    # uvicorn handles SIGINT/SIGTERM (graceful shutdown) and then re-raises the signal to the
    # handler that was there before: make that one just remember it, so we exit normally.
    stopped_by: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda s, _f: stopped_by.append(s))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    if not stopped_by:
        return "exit"
    return signal.Signals(stopped_by[0]).name
