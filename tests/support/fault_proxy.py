"""A loopback HTTP/1.1 fault proxy for network fault tests (asyncio, standard library only).

It sits between a client and a server on 127.0.0.1, listens on an ephemeral port and runs its own
event loop in a background thread, so sync tests (httpx.Client, subprocesses) and async tests can
both use it::

    from tests.support.fault_proxy import FaultProxy, Fault

    with FaultProxy(upstream_port) as proxy:          # or proxy = FaultProxy(...).start()
        proxy.script([Fault.reset_mid_body(), Fault.drop_response()])  # then: pass
        httpx.post(proxy.url + "/api/v1/batches", ...)
        proxy.records                                  # what happened to each request

**Which fault a request gets.** Every request the proxy sees (the first on a new connection, or the
next on a kept-alive one) takes the next fault of the *plan*: the faults given to ``script()``
in order, then the ``default`` (``Fault.passthrough()`` unless set with ``set_default``). A plan can
also be a function ``plan(n) -> Fault`` of the request number ``n`` (0, 1, 2, ...), e.g. seeded
random faults (``set_plan(fn)``, or ``FaultProxy(port, plan=fn_or_list, default=fault)``).
``script([...])`` with N failures then pass is "fail the first N connections": a failed request
ends its connection, so the client's retry comes on a new one.

**How it forwards.** The proxy reads each request (head and whole body, Content-Length or
chunked) from the client first, then forwards it as the fault says, then reads the server's
whole response and passes it back (or not). So the client's send always completes; faults act
on what reaches the server and on the answer. Blocking methods (``start``, ``stop``,
``wait_idle``) must not be called from an event loop the test is running on; everything else is
thread-safe.

**Faults** (class methods of :class:`Fault`):

- ``passthrough()`` — forward both ways unchanged.
- ``delay(seconds)`` — latency: wait ``seconds`` before forwarding the request and again before
  forwarding the response.
- ``refuse()`` — reset the client's connection as soon as its request head arrives (nothing
  reaches the server: a dropped connection).
- ``reset_mid_body(after=None)`` — forward the head and ``after`` bytes of the body (None: half),
  then reset (TCP RST) both the client and the server connection.
- ``truncate(keep=None, rewrite_length=False)`` — forward the head and ``keep`` body bytes (None:
  half), then end the request stream towards the server (half-close) and close the client's
  connection; with ``rewrite_length=True`` the request instead reaches the server *complete* with
  a shortened Content-Length (a truncation that looks well-formed — only the digest can tell),
  and the server's answer is passed back.
- ``drip(chunk=1, interval=0.01)`` — slow drip: forward the request ``chunk`` bytes at a time,
  ``interval`` seconds apart, then pass the response back.
- ``stall(after=None, hold=30.0)`` — forward the head and ``after`` body bytes (None: half), then
  nothing more for ``hold`` seconds; whatever the server answers meanwhile (e.g. its 408) is
  passed back; then both connections are closed.
- ``drop_response()`` — "close after commit": forward the request completely, read the server's
  whole response, then reset the client's connection without sending any of it.

Faults that cut the body count bytes of the body as sent (raw chunked framing included).

**Records.** ``proxy.records`` lists one :class:`Record` per request: its number, the fault, the
request body bytes forwarded, the upstream status if a response was read, and whether the
response reached the client. ``proxy.counts()`` sums them by fault kind. ``wait_idle()`` waits
until no connection is open (useful before asserting on the server's state).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HEAD_LIMIT = 64 * 1024
KINDS = ("pass", "delay", "refuse", "reset_body", "truncate", "drip", "stall", "drop_response")


@dataclass(frozen=True)
class Fault:
    kind: str = "pass"
    seconds: float = 0.0  # delay: latency; drip: interval; stall: hold
    after: int | None = None  # bytes of body forwarded before the cut (None: half)
    chunk: int = 1  # drip: bytes per step
    rewrite_length: bool = False  # truncate: deliver a complete, shorter request

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    @classmethod
    def passthrough(cls) -> Fault:
        return cls("pass")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        return cls("delay", seconds=seconds)

    @classmethod
    def refuse(cls) -> Fault:
        return cls("refuse")

    @classmethod
    def reset_mid_body(cls, after: int | None = None) -> Fault:
        return cls("reset_body", after=after)

    @classmethod
    def truncate(cls, keep: int | None = None, rewrite_length: bool = False) -> Fault:
        return cls("truncate", after=keep, rewrite_length=rewrite_length)

    @classmethod
    def drip(cls, chunk: int = 1, interval: float = 0.01) -> Fault:
        return cls("drip", seconds=interval, chunk=chunk)

    @classmethod
    def stall(cls, after: int | None = None, hold: float = 30.0) -> Fault:
        return cls("stall", seconds=hold, after=after)

    @classmethod
    def drop_response(cls) -> Fault:
        return cls("drop_response")


PASS = Fault.passthrough()


@dataclass
class Record:
    n: int
    fault: Fault
    body_forwarded: int = 0
    upstream_status: int | None = None
    delivered: bool = False
    done: bool = False
    note: str = ""


@dataclass
class _Message:
    head: bytes
    length: int | None  # Content-Length, None if absent
    chunked: bool
    close: bool
    status: int | None = None
    extra: bytes = field(default=b"", repr=False)  # bytes read past the head


class _Closed(Exception):
    pass


def _parse_head(head: bytes, extra: bytes, response: bool) -> _Message:
    lines = head.split(b"\r\n")
    status = None
    if response:
        parts = lines[0].split(b" ")
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    length = None
    chunked = close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == b"content-length" and value.isdigit():
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"connection" and b"close" in value:
            close = True
    return _Message(head, length, chunked, close, status, extra)


async def _read_head(reader: asyncio.StreamReader, carry: bytes, response: bool) -> _Message:
    buf = carry
    while b"\r\n\r\n" not in buf:
        if len(buf) > HEAD_LIMIT:
            raise _Closed("head too large")
        data = await reader.read(65536)
        if not data:
            raise _Closed("eof before head")
        buf += data
    head, _, extra = buf.partition(b"\r\n\r\n")
    return _parse_head(head + b"\r\n\r\n", extra, response)


async def _read_exact(reader: asyncio.StreamReader, carry: bytes, n: int) -> tuple[bytes, bytes]:
    """``n`` bytes (using ``carry`` first) and what was read beyond them."""
    buf = bytearray(carry)
    while len(buf) < n:
        data = await reader.read(min(65536, n - len(buf)) if len(buf) < n else 65536)
        if not data:
            raise _Closed("eof in body")
        buf += data
    return bytes(buf[:n]), bytes(buf[n:])


async def _read_chunked(reader: asyncio.StreamReader, carry: bytes) -> tuple[bytes, bytes]:
    """A whole chunked body, raw (as sent), and what follows it."""
    buf = bytearray(carry)

    async def line_end(pos: int) -> int:
        while b"\r\n" not in buf[pos:]:
            data = await reader.read(65536)
            if not data:
                raise _Closed("eof in chunked body")
            buf.extend(data)
        return buf.index(b"\r\n", pos)

    pos = 0
    while True:
        end = await line_end(pos)
        size = int(bytes(buf[pos:end]).split(b";")[0].strip() or b"0", 16)
        pos = end + 2
        if size == 0:  # trailer lines, then an empty line
            while True:
                nl = await line_end(pos)
                if nl == pos:
                    return bytes(buf[: pos + 2]), bytes(buf[pos + 2 :])
                pos = nl + 2
        while len(buf) < pos + size + 2:
            data = await reader.read(65536)
            if not data:
                raise _Closed("eof in chunk")
            buf.extend(data)
        pos += size + 2


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None and not writer.is_closing():
        writer.close()


class FaultProxy:
    """See the module docstring."""

    def __init__(
        self,
        upstream_port: int,
        upstream_host: str = "127.0.0.1",
        plan: Sequence[Fault] | Callable[[int], Fault] | None = None,
        default: Fault = PASS,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.default = default
        self.records: list[Record] = []
        self.port = 0
        self._lock = threading.Lock()
        self._script: list[Fault] = []
        self._plan_fn: Callable[[int], Fault] | None = None
        self._n = 0
        self._open = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._transports: set[asyncio.BaseTransport] = set()
        if callable(plan):
            self._plan_fn = plan
        elif plan is not None:
            self._script = list(plan)

    # -- plan ------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, faults: Sequence[Fault], then: Fault | None = None) -> None:
        """The next requests get ``faults`` in order, then ``then`` (default: the default)."""
        with self._lock:
            self._plan_fn = None
            self._script = list(faults)
            if then is not None:
                self.default = then

    def set_plan(self, plan: Callable[[int], Fault]) -> None:
        with self._lock:
            self._script = []
            self._plan_fn = plan

    def set_default(self, fault: Fault) -> None:
        with self._lock:
            self.default = fault

    def _next(self) -> Record:
        with self._lock:
            n = self._n
            self._n += 1
            if self._script:
                fault = self._script.pop(0)
            elif self._plan_fn is not None:
                fault = self._plan_fn(n)
            else:
                fault = self.default
            rec = Record(n, fault)
            self.records.append(rec)
            return rec

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(r.fault.kind for r in self.records)

    # -- life ------------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        ready = threading.Event()
        error: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    loop.create_server(self._protocol, "127.0.0.1", 0)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # pragma: no cover - reported to start()
                error.append(exc)
                ready.set()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        if error:
            raise error[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            await asyncio.sleep(0.05)  # connections waiting to be accepted reach their handlers
            if self._server is not None:
                self._server.close()
            tasks = list(self._tasks)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for transport in list(self._transports):
                transport.abort()
            await asyncio.sleep(0.01)  # let the transports close

        fut = asyncio.run_coroutine_threadsafe(shutdown(), loop)
        try:
            fut.result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no client connection is open; True if it happened in time."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if self._open == 0:
                    return True
            time.sleep(0.01)
        return False

    # -- the work --------------------------------------------------------------------------------

    def _protocol(self) -> asyncio.Protocol:
        owner = self

        class Protocol(asyncio.StreamReaderProtocol):
            seen: asyncio.BaseTransport | None = None

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.seen = transport
                owner._transports.add(transport)
                super().connection_made(transport)

            def connection_lost(self, exc: Exception | None) -> None:
                if self.seen is not None:
                    owner._transports.discard(self.seen)
                super().connection_lost(exc)

        reader = asyncio.StreamReader(limit=HEAD_LIMIT * 2)
        return Protocol(reader, self._handle)

    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self._open += 1
        uwriter: asyncio.StreamWriter | None = None
        try:
            carry = b""
            while True:
                try:
                    req = await _read_head(creader, carry, response=False)
                except _Closed:
                    return
                rec = self._next()
                if rec.fault.kind == "refuse":
                    rec.note = "refused"
                    rec.done = True
                    _reset(cwriter)
                    return
                if uwriter is None:
                    ureader, uwriter = await asyncio.open_connection(*self.upstream)
                keep = await self._one(rec, req, creader, cwriter, ureader, uwriter)
                rec.done = True
                if keep is None:
                    return
                carry = keep
        except (ConnectionError, _Closed, OSError):
            return
        except asyncio.CancelledError:
            pass
        finally:
            _close(uwriter)
            _close(cwriter)
            with self._lock:
                self._open -= 1
            self._tasks.discard(task)

    async def _one(
        self,
        rec: Record,
        req: _Message,
        creader: asyncio.StreamReader,
        cwriter: asyncio.StreamWriter,
        ureader: asyncio.StreamReader,
        uwriter: asyncio.StreamWriter,
    ) -> bytes | None:
        """Handle one request; returns the bytes read past it (to go on), or None to close."""
        f = rec.fault
        # The request body (raw), read from the client as it is needed.
        if req.chunked:
            body, rest = await _read_chunked(creader, req.extra)
        elif req.length:
            body, rest = await _read_exact(creader, req.extra, req.length)
        else:
            body, rest = b"", req.extra
        cut = len(body) // 2 if f.after is None else min(f.after, len(body))

        if f.kind == "delay":
            await asyncio.sleep(f.seconds)
        if f.kind in ("reset_body", "truncate", "stall"):
            head = req.head
            if f.kind == "truncate" and f.rewrite_length:
                head = _with_length(req.head, cut)
            uwriter.write(head + body[:cut])
            await uwriter.drain()
            rec.body_forwarded = cut
            if f.kind == "reset_body":
                await asyncio.sleep(0.01)  # let the server start on the partial body
                _reset(uwriter)
                _reset(cwriter)
                rec.note = "reset mid-body"
                return None
            if f.kind == "truncate" and not f.rewrite_length:
                if uwriter.can_write_eof():
                    uwriter.write_eof()
                rec.note = "truncated, upstream half-closed"
                try:  # see what the server does, but the client gets nothing
                    resp = await asyncio.wait_for(_read_head(ureader, b"", True), 5)
                    rec.upstream_status = resp.status
                except (TimeoutError, _Closed, ConnectionError):
                    pass
                return None
            if f.kind == "stall":
                rec.note = "stalled"
                try:
                    resp = await asyncio.wait_for(_read_head(ureader, b"", True), f.seconds)
                except (TimeoutError, _Closed, ConnectionError):
                    return None
                rec.upstream_status = resp.status
                raw = await _read_response_body(ureader, resp)
                rec.delivered = True
                cwriter.write(resp.head + raw)
                await cwriter.drain()
                return None
            # truncate with a rewritten length: the server answers a complete short request
        elif f.kind == "drip":
            data = req.head + body
            for i in range(0, len(data), max(1, f.chunk)):
                uwriter.write(data[i : i + f.chunk])
                await uwriter.drain()
                await asyncio.sleep(f.seconds)
            rec.body_forwarded = len(body)
        else:
            uwriter.write(req.head + body)
            await uwriter.drain()
            rec.body_forwarded = len(body)

        resp = await _read_head(ureader, b"", response=True)
        raw = await _read_response_body(ureader, resp)
        rec.upstream_status = resp.status
        if f.kind == "drop_response":
            rec.note = "response dropped after the server answered"
            _reset(cwriter)
            return None
        if f.kind == "delay":
            await asyncio.sleep(f.seconds)
        rec.delivered = True  # set first: the client may act on the answer at once
        cwriter.write(resp.head + raw)
        await cwriter.drain()
        if resp.close or req.close or (f.kind == "truncate"):
            return None
        return rest


async def _read_response_body(reader: asyncio.StreamReader, resp: _Message) -> bytes:
    if resp.status is not None and (100 <= resp.status < 200 or resp.status in (204, 304)):
        return resp.extra
    if resp.chunked:
        raw, _ = await _read_chunked(reader, resp.extra)
        return raw
    if resp.length is not None:
        raw, _ = await _read_exact(reader, resp.extra, resp.length)
        return raw
    # No length: the body runs to the end of the connection.
    chunks = [resp.extra]
    while data := await reader.read(65536):
        chunks.append(data)
    return b"".join(chunks)


def _with_length(head: bytes, length: int) -> bytes:
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    out = [lines[0]]
    for line in lines[1:]:
        if line.split(b":", 1)[0].strip().lower() == b"content-length":
            line = b"Content-Length: " + str(length).encode()
        out.append(line)
    return b"\r\n".join(out) + b"\r\n\r\n"
