"""What keeps one client from holding or flooding the county server.

- :class:`RateLimiter`: a token bucket per key (client address before authentication, token id
  after), answering how long to wait when empty (the ``Retry-After`` of a 429).
- :class:`ReadDeadline`: ASGI middleware that wraps ``receive`` so a request body must keep
  arriving (``idle`` seconds between chunks at most) and be complete within ``total`` seconds;
  otherwise the client gets 408 with ``Connection: close`` and the application sees a disconnect.
- :func:`guarded_h11_protocol`: uvicorn's h11 protocol with a deadline on the request *head*
  (uvicorn alone keeps a connection that drips or withholds its headers open for ever) and a cap
  on the connections one client address holds open: uvicorn's own limit counts every open
  connection, idle ones too, so one address holding a few hundred sockets answered everyone
  else 503. Over the cap a new connection is answered 429 with ``Retry-After`` and closed.

Each stalled client only holds its own coroutine: the event loop serves everyone else meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

Scope = Any
Message = Any
Receive = Any
Send = Any
ASGIApp = Any


class RateLimiter:
    """Token buckets: ``burst`` requests at once, refilled at ``rate`` per second. rate 0 = off."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[Any, tuple[float, float]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: Any) -> float:
        """Take one token for ``key``: 0.0 if allowed, else the seconds until one is available."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / self.rate
        while len(self._buckets) > self.max_keys:  # forget the least recently seen
            self._buckets.popitem(last=False)
        return wait


def retry_after(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


def _error_response(status: int, code: str, message: str) -> tuple[Message, Message]:
    import json

    body = json.dumps({"error": code, "message": message}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    return start, {"type": "http.response.body", "body": body, "more_body": False}


class ReadDeadline:
    """Cut off a request whose body stalls (``idle`` s) or drags on (``total`` s) with 408."""

    def __init__(self, app: ASGIApp, *, idle: float, total: float) -> None:
        self.app = app
        self.idle = idle
        self.total = total

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.monotonic()
        cut = False
        started = False
        body_done = False

        async def guarded_receive() -> Message:
            nonlocal cut, body_done
            if cut:
                return {"type": "http.disconnect"}
            if body_done:  # waiting for a disconnect after the body: no deadline
                msg: Message = await receive()
                return msg
            budget = min(self.idle, self.total - (time.monotonic() - start))
            try:
                async with asyncio.timeout(max(0.0, budget)):
                    msg = await receive()
            except TimeoutError:
                cut = True
                scope.setdefault("fieldtui.log", {})["cut"] = "slow body"
                if not started:
                    for m in _error_response(
                        408, "request_timeout", "the request body did not arrive in time"
                    ):
                        await send(m)
                return {"type": "http.disconnect"}
            if msg["type"] == "http.request" and not msg.get("more_body", False):
                body_done = True
            return msg

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if cut:
                return  # our 408 went out instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, guarded_receive, guarded_send)


CONNECTIONS_RETRY_AFTER = 2  # seconds: idle keep-alive connections close after 5


def connection_refusal(per_client: int) -> bytes:
    """The raw answer to a connection over the per-address cap: 429 with ``Retry-After`` and the
    server's error body, sent before any request is read, then the connection is closed."""
    import json

    body = json.dumps(
        {
            "error": "too_many_connections",
            "message": f"this address already holds {per_client} open connections to the "
            "county server; close some or wait, then retry",
        }
    ).encode()
    head = (
        "HTTP/1.1 429 Too Many Requests\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"retry-after: {CONNECTIONS_RETRY_AFTER}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def guarded_h11_protocol(head_timeout: float, per_client: int = 0) -> type:
    """uvicorn's h11 protocol, closing connections whose request head takes over ``head_timeout``
    and refusing (429) a connection from an address that already holds ``per_client`` open
    connections (0: no cap).

    The head timer runs from the first byte of a request (or from the connection, for the first
    one) until the head is complete; uvicorn's own keep-alive timeout covers idle connections
    between requests. Connections are counted per client address from ``connection_made`` to
    ``connection_lost`` (a refused one too, for the moment it exists), in one event loop.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    open_by_client: dict[str, int] = {}
    logged: OrderedDict[str, float] = OrderedDict()  # when a refusal was last logged, per address
    refusal = connection_refusal(per_client)

    def log_refusal(protocol: H11Protocol, host: str) -> None:
        now = time.monotonic()
        if now - logged.get(host, -math.inf) < 10.0:
            return
        logged.pop(host, None)
        logged[host] = now
        while len(logged) > 1000:
            logged.popitem(last=False)
        protocol.logger.warning(
            "%s holds %d open connections (the cap is %d): refusing more with 429",
            host,
            open_by_client.get(host, 0) - 1,
            per_client,
        )

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _counted: str | None = None  # the client address this connection is counted under
        _refused: bool = False

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            if sock is not None:  # small answers go out at once (no Nagle/delayed-ACK stall)
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            host = self.client[0] if self.client else None
            if per_client > 0 and host is not None:
                self._counted = host
                open_by_client[host] = open_by_client.get(host, 0) + 1
                if open_by_client[host] > per_client:
                    self._refused = True
                    log_refusal(self, host)
                    transport.write(refusal)
                    transport.close()
                    return
            self._arm_head_timer()

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return  # answered already; the connection is closing
            super().data_received(data)
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self._arm_head_timer()
            else:
                self._cancel_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_timer()
            host, self._counted = self._counted, None
            if host is not None:
                left = open_by_client.get(host, 1) - 1
                if left > 0:
                    open_by_client[host] = left
                else:
                    open_by_client.pop(host, None)
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(head_timeout, self._head_timed_out)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.logger.info("closed a connection whose request head did not arrive in time")
                self.transport.close()

    return GuardedH11Protocol
