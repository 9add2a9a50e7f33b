"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, optionally with STARTTLS, implicit
TLS and AUTH (a trustme CA signs its certificate)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Inbox:
    messages: list[dict[str, Any]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": bytes(envelope.original_content or envelope.content),
            }
        )
        return "250 OK"


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextmanager
def smtp_server(
    *,
    starttls: ssl.SSLContext | None = None,
    implicit: ssl.SSLContext | None = None,
    users: dict[str, str] | None = None,
) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    kwargs: dict[str, Any] = {}
    if starttls is not None:
        kwargs.update(tls_context=starttls, require_starttls=True)
    if implicit is not None:
        kwargs.update(ssl_context=implicit)
    if users is not None:

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
            if isinstance(data, LoginPassword):
                login, password = data.login.decode(), data.password.decode()
                inbox.logins.append((login, mechanism))
                return AuthResult(success=users.get(login) == password, handled=False)
            return AuthResult(success=False, handled=False)

        kwargs.update(
            authenticator=authenticator,
            auth_required=True,
            auth_require_tls=starttls is not None or implicit is not None,
        )
    for _ in range(5):  # another process may take the free port before we bind it
        port = free_port()
        controller = Controller(
            inbox, hostname="127.0.0.1", port=port, server_hostname="localhost",
            ready_timeout=30, **kwargs,
        )  # fmt: skip
        try:
            controller.start()
            break
        except OSError:
            continue
    else:
        raise RuntimeError("no free port for the SMTP server")
    try:
        yield inbox, port
    finally:
        controller.stop()
