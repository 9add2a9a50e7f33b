"""A minimal county endpoint for the client's tests: real Starlette on real uvicorn, 127.0.0.1.

It speaks the agreed push protocol (201 stored, 200 repeat with the original receipt, 401, 403,
409 while the same key is in flight, 413, 422 with an error body, 429 with Retry-After) and can be
scripted to misbehave for the next requests: answer 503/409/429, drop the connection before or
after storing, stall, or refuse with 422. The full county server lives in fieldtui/county (another
branch); this one only has to be honest about the protocol.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fieldtui.campaigns import active
from fieldtui.domain.batch import API_PATH, check_batch, parse_batch, parse_content_digest
from fieldtui.domain.errors import Refusal
from fieldtui.domain.rubric import CHINA_TZ, Campaign
from fieldtui.domain.schema import SchemaError

MAX_BODY = 8 * 1024 * 1024


@dataclass
class ServerState:
    campaign: Campaign
    tokens: dict[str, str] = field(default_factory=dict)  # token -> unit
    stored: dict[str, tuple[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # id -> (digest, receipt)
    script: list[str] = field(default_factory=list)  # faults for the next requests, in order
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_fault(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else ""


async def _read_body(receive: Any) -> bytes:
    chunks = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise ConnectionError("client went away")
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise OverflowError
        chunks.append(chunk)
        if not msg.get("more_body"):
            return b"".join(chunks)


async def _json(
    send: Any, status: int, obj: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    body = json.dumps(obj, ensure_ascii=False).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    hdrs += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Any) -> None:
    """Start a response, send part of it, then let uvicorn close the connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"500")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"batch_id":', "more_body": True})


def _error(code: str, message: str, path: str | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "path": path}


class BatchEndpoint:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        st = self.state
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = await _read_body(receive)
        except OverflowError:
            await _json(send, 413, _error("too_large", "body too large"))
            return
        except ConnectionError:
            return
        st.requests.append(
            {"headers": headers, "sha256": hashlib.sha256(body).hexdigest(), "at": time.monotonic()}
        )
        fault = st.next_fault()
        if fault.startswith("status:"):
            code = int(fault.split(":")[1])
            extra = {"retry-after": fault.split(":")[2]} if fault.count(":") == 2 else {}
            await _json(send, code, _error("scripted", f"scripted {code}"), extra)
            return
        if fault == "drop":
            await _drop(send)
            return
        if fault == "digest_mismatch":  # as the county answers a body cut short on the way
            await _json(send, 422, _error("digest_mismatch", "the body does not match its "
                                          "Content-Digest", "Content-Digest"))  # fmt: skip
            return
        if fault.startswith("stall:"):
            await asyncio.sleep(float(fault.split(":")[1]))
        auth = headers.get("authorization", "")
        unit = st.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        if unit is None:
            await _json(send, 401, _error("unauthorized", "missing or unknown token"))
            return
        digest = hashlib.sha256(body).hexdigest()
        if parse_content_digest(headers.get("content-digest", "")) != digest:
            await _json(send, 422, _error("digest", "Content-Digest does not match the body"))
            return
        try:
            obj = parse_batch(body)
            summary = check_batch(obj, st.campaign)
        except (SchemaError, Refusal) as exc:
            await _json(send, 422, _error("invalid", str(exc), getattr(exc, "path", None)))
            return
        key = headers.get("idempotency-key", "")
        if key != summary.batch_id:
            await _json(send, 422, _error("key", "Idempotency-Key must be the batch id"))
            return
        if summary.unit != unit:
            await _json(send, 403, _error("forbidden", "the token belongs to another unit"))
            return
        with st.lock:
            if key in st.in_flight:
                conflict = True
            else:
                conflict = False
                st.in_flight.add(key)
        if conflict:
            await _json(send, 409, _error("in_flight", "the same key is in flight"))
            return
        try:
            with st.lock:
                old = st.stored.get(key)
            if old is not None:
                if old[0] != digest:
                    await _json(
                        send, 422, _error("conflict", "same id with another digest", "batch_id")
                    )
                    return
                await _json(send, 200, {**old[1], "duplicate": True})
                return
            receipt = {
                "batch_id": key,
                "digest": digest,
                "received_at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
                "unit": unit,
                "campaign_id": summary.campaign_id,
                "period": summary.period,
                "supersedes": summary.supersedes,
                "duplicate": False,
            }
            with st.lock:
                st.stored[key] = (digest, receipt)
            if fault == "drop_after_commit":
                await _drop(send)
                return
            if fault == "bad_receipt":
                await _json(send, 201, {"hello": "captive portal"})
                return
            await _json(send, 201, receipt)
        finally:
            with st.lock:
                st.in_flight.discard(key)


def build_app(state: ServerState) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def health(request: Any) -> Any:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route(API_PATH, endpoint=BatchEndpoint(state), methods=["POST"]),
            Route("/api/v1/health", endpoint=health, methods=["GET"]),
        ]
    )


@dataclass
class RunningServer:
    url: str
    state: ServerState
    port: int


@contextmanager
def serve(
    state: ServerState | None = None, *, certfile: str = "", keyfile: str = ""
) -> Iterator[RunningServer]:
    """Run the test endpoint on 127.0.0.1 with an ephemeral port in a thread."""
    import uvicorn

    state = state or ServerState(campaign=active(None))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        build_app(state),
        log_level="critical",
        http="h11",
        lifespan="off",
        ssl_certfile=certfile or None,
        ssl_keyfile=keyfile or None,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    scheme = "https" if certfile else "http"
    host = "127.0.0.1"
    try:
        yield RunningServer(f"{scheme}://{host}:{port}", state, port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
