"""The county endpoint: a Starlette application over the county store.

``POST /api/v1/batches`` takes a sealed batch (see ``docs/openapi.json`` and DESIGN.md), checks in
this order — client rate (429), token (401), token rate (429), content type (415), declared size
(413), headers (422), same key in flight (409) — then reads the body under the size limit and the
read deadline and hands it to :func:`fieldtui.county.intake.submit`, the path ``county import``
uses too. The batch and its receipt are committed before the answer is sent.

All database work runs on one thread (SQLite writes are serial anyway), so the event loop never
waits on the disk and a slow client never holds anything but its own coroutine.

Logging: one line per request with the client address, method, path, status, time and the unit
and batch concerned. Headers are never logged; a token never appears in a log line or a message.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fieldtui.county.auth import bearer_token, match_token
from fieldtui.county.intake import Accepted, Rejection, lookup, parse, store_checked, validate
from fieldtui.county.limits import RateLimiter, ReadDeadline, retry_after
from fieldtui.county.openapi import FILE_PATH, HEALTH_PATH, OPENAPI_PATH, REVIEW_PATH, document
from fieldtui.county.store import CountyStore, StoredBatch, TokenHash
from fieldtui.domain.batch import API_PATH, FILES_PATH, UUID_RE, parse_content_digest
from fieldtui.domain.rubric import Campaign

log = logging.getLogger("fieldtui.county")
CRASH_EXIT = 137
T = TypeVar("T")
_UUID = __import__("re").compile(UUID_RE)


@dataclass(frozen=True)
class ServerOptions:
    max_body: int = 8 * 1024 * 1024  # bytes
    body_idle: float = 15.0  # seconds without a byte of the body
    body_total: float = 120.0  # seconds for the whole body
    head_timeout: float = 10.0  # seconds for the request line and headers
    ip_rate: float = 20.0  # requests per second per client address (0 = off)
    ip_burst: float = 120.0
    token_rate: float = 1.0  # requests per second per token (0 = off)
    token_burst: float = 30.0
    max_connections: int = 256  # beyond this, new requests get 503
    # Open connections one client address may hold; beyond, a new connection gets 429 (0 = no
    # cap). Room for a township office behind one NAT address and the 50-client benchmark.
    max_connections_per_client: int = 64
    dedup: bool = True  # False only for the reliability test that proves it finds duplicates
    crash_after_commit: int = 0  # >0 only in crash tests: die after the Nth new batch's commit


class County:
    """The server's state: store (on its own thread), campaigns, in-flight keys, rate buckets."""

    def __init__(
        self, store: CountyStore, campaigns: Mapping[str, Campaign], options: ServerOptions
    ) -> None:
        self.store = store
        self.campaigns = dict(campaigns)
        self.options = options
        self.inflight: set[str] = set()
        self.ip_limits = RateLimiter(options.ip_rate, options.ip_burst)
        self.token_limits = RateLimiter(options.token_rate, options.token_burst)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="county-db")
        self.commits = 0
        self._workbook: Any = None

    def collect_rescores(self) -> None:
        """Record county visits completed in the workbook (on the database thread)."""
        from fieldtui.county.workbook import WORKBOOK_DIR, collect, open_workbook
        from fieldtui.store.db import DB_NAME

        if self._workbook is None:
            home = self.store.path.parent
            if not (home / WORKBOOK_DIR / DB_NAME).exists():
                return
            self._workbook = open_workbook(home)
        from fieldtui.county.intake import now_iso

        collect(self.store, self._workbook, self.campaigns, now_iso())

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._workbook is not None:
            self._workbook.close()
        self.store.close()


def _error(rej: Rejection, *, close: bool = False) -> JSONResponse:
    headers = dict(rej.headers)
    if close:
        headers["Connection"] = "close"
    return JSONResponse(rej.body(), status_code=rej.status, headers=headers)


def _note(request: Request, **fields: Any) -> None:
    request.scope.setdefault("fieldtui.log", {}).update(fields)


def _unavailable(request: Request, exc: sqlite3.Error) -> JSONResponse:
    """The database is busy (another writer held it too long) or failing (disk full): nothing
    was stored; the client retries."""
    log.error("database error: %s", exc)
    _note(request, error="unavailable")
    return _error(
        Rejection(
            503,
            "unavailable",
            "the county database cannot take the batch right now; nothing was stored, retry",
            headers={"Retry-After": "5"},
        )
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


async def _read_body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejection(413, "too_large", f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _match(store: CountyStore, token: str) -> TokenHash | None:
    return match_token(token, store.active_tokens())


async def _take_in(
    county: County, body: bytes, found: TokenHash, key: str, digest: str
) -> Accepted:
    """The steps of :func:`intake.submit`: the pure ones on the worker threads, the database
    ones on the database thread, so one batch's validation overlaps another's commit."""
    opts = county.options
    loop = asyncio.get_running_loop()
    parsed = await loop.run_in_executor(
        None, partial(parse, body, token_unit=found.unit, key=key, declared_digest=digest)
    )
    known = await county.db(lookup, county.store, parsed, registered_only=False, dedup=opts.dedup)
    if known is not None:
        return known
    checked = await loop.run_in_executor(None, validate, parsed, county.campaigns)
    outcome = await county.db(
        store_checked,
        county.store,
        checked,
        source="push",
        token_id=found.id,
        dedup=opts.dedup,
    )
    if outcome.created and opts.crash_after_commit:
        county.commits += 1
        if county.commits >= opts.crash_after_commit:
            # The crash tests' kill point: committed, the answer never sent.
            os._exit(CRASH_EXIT)
    return outcome


async def post_batch(request: Request) -> Response:
    county: County = request.app.state.county
    opts = county.options

    found = await _authorize(request, close=True)
    if isinstance(found, Response):
        return found
    ctype = request.headers.get("content-type", "")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if ctype.split(";")[0].strip().lower() != "application/json" or encoding != "identity":
        _note(request, error="unsupported_media_type")
        return _error(
            Rejection(
                415,
                "unsupported_media_type",
                "send the batch as application/json, uncompressed (no Content-Encoding)",
            ),
            close=True,
        )
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > opts.max_body:
        _note(request, error="too_large")
        return _error(
            Rejection(413, "too_large", f"the body is over the limit of {opts.max_body} bytes"),
            close=True,
        )
    key = request.headers.get("idempotency-key", "")
    if not _UUID.fullmatch(key):
        _note(request, error="invalid_header", path="Idempotency-Key")
        return _error(
            Rejection(
                422,
                "invalid_header",
                "Idempotency-Key must be the batch id (a lower-case UUID)",
                "Idempotency-Key",
            ),
            close=True,
        )
    _note(request, batch=key)
    digest = parse_content_digest(request.headers.get("content-digest", ""))
    if digest is None:
        _note(request, error="invalid_header", path="Content-Digest")
        return _error(
            Rejection(
                422,
                "invalid_header",
                "Content-Digest must name the body's SHA-256 (sha-256=:<base64>:)",
                "Content-Digest",
            ),
            close=True,
        )
    if opts.dedup and key in county.inflight:
        _note(request, error="in_flight")
        return _error(
            Rejection(
                409,
                "in_flight",
                "a request with this Idempotency-Key is still in flight; retry",
                headers={"Retry-After": "1"},
            ),
            close=True,
        )
    county.inflight.add(key)
    try:
        try:
            body = await _read_body(request, opts.max_body)
        except Rejection as rej:
            _note(request, error=rej.code)
            return _error(rej, close=True)
        except ClientDisconnect:
            _note(request, error="client gone")
            return Response(status_code=400)  # nobody is listening any more
        try:
            outcome = await _take_in(county, body, found, key, digest)
        except Rejection as rej:
            _note(request, error=rej.code, path=rej.path)
            return _error(rej)
        except sqlite3.Error as exc:
            return _unavailable(request, exc)
    finally:
        county.inflight.discard(key)
    _note(request, outcome="stored" if outcome.created else "duplicate")
    return JSONResponse(outcome.receipt, status_code=outcome.status)


def _review(county: County, batch_id: str, unit: str) -> dict[str, Any] | Rejection:
    """On the database thread: the review of ``batch_id`` if it belongs to ``unit``."""
    from fieldtui.county import reviews
    from fieldtui.county.intake import now_iso

    batch = _owned_batch(county, batch_id, unit)
    if isinstance(batch, Rejection):
        return batch
    county.collect_rescores()
    return reviews.review_document(county.store, county.campaigns, batch, now_iso())


async def get_review(request: Request) -> Response:
    """``GET /api/v1/batches/{id}/review``: the verdicts and spot-check results of one of the
    token's own batches."""
    county: County = request.app.state.county
    found = await _authorize(request, close=False)
    if isinstance(found, Response):
        return found
    batch_id = request.path_params["batch_id"]
    if not _UUID.fullmatch(batch_id):
        _note(request, error="not_found")
        return _error(Rejection(404, "not_found", "no batch with this id was received"))
    _note(request, batch=batch_id)
    try:
        out = await county.db(_review, county, batch_id, found.unit)
    except sqlite3.Error as exc:
        return _unavailable(request, exc)
    if isinstance(out, Rejection):
        _note(request, error=out.code)
        return _error(out)
    return JSONResponse(out)


def _client_rate(request: Request, *, close: bool) -> Response | None:
    """The per-address rate limit, for every request (health and the OpenAPI document too):
    the 429 to answer with, or None."""
    county: County = request.app.state.county
    wait = county.ip_limits.take(_client(request))
    if not wait:
        return None
    _note(request, error="rate_limited")
    return _error(
        Rejection(
            429, "rate_limited", "too many requests", headers={"Retry-After": retry_after(wait)}
        ),
        close=close,
    )


async def _authorize(request: Request, *, close: bool) -> TokenHash | Response:
    """The client and token rate limits and the bearer token, for every township request: the
    token's row, or the 429/401/503 to answer with (``close``: also end the connection)."""
    county: County = request.app.state.county
    limited = _client_rate(request, close=close)
    if limited is not None:
        return limited
    token = bearer_token(request.headers.get("authorization"))
    try:
        found = None if token is None else await county.db(_match, county.store, token)
    except sqlite3.Error as exc:
        return _unavailable(request, exc)
    token = None  # keep the secret out of locals from here on
    if found is None:
        _note(request, error="unauthorized")
        return _error(
            Rejection(
                401,
                "unauthorized",
                "a valid township token is needed (Authorization: Bearer ...)",
                headers={"WWW-Authenticate": "Bearer"},
            ),
            close=close,
        )
    _note(request, unit=found.unit)
    wait = county.token_limits.take(found.id)
    if wait:
        _note(request, error="rate_limited")
        return _error(
            Rejection(
                429, "rate_limited", "too many requests", headers={"Retry-After": retry_after(wait)}
            ),
            close=close,
        )
    return found


def _owned_batch(county: County, batch_id: str, unit: str) -> StoredBatch | Rejection:
    """On the database thread: the stored batch if it belongs to ``unit``, else 404/403."""
    batch = county.store.find(batch_id)
    if batch is None:
        return Rejection(404, "not_found", "no batch with this id was received")
    if batch.unit != unit:
        # The id is a random UUID the township itself made: "not yours" leaks nothing.
        return Rejection(403, "forbidden", "this batch belongs to another township", "batch_id")
    return batch


def _strict_name(request: Request) -> str | None:
    """The ``{name}`` path segment decoded strictly as UTF-8, or None when its bytes are no text.
    (uvicorn decodes the path leniently: undecodable bytes become U+FFFD, a name nobody sent.)"""
    from urllib.parse import unquote_to_bytes

    raw = request.scope.get("raw_path") or b""
    try:
        name = unquote_to_bytes(raw.rsplit(b"/", 1)[-1]).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if name != request.path_params["name"]:
        return None
    return name


async def put_file(request: Request) -> Response:
    """``PUT /api/v1/batches/{id}/files/{name}``: a file of one of the token's own batches (the
    scan of the stamped pages), the raw bytes as the body. Checks, in order: the rate limits and
    token (as the batch POST), declared size (413), batch id (404), name (422), the name's
    extension a scan's (415), Content-Digest (422), the batch stored and the token's (404/403),
    the same file in flight (409); then the body under the size limit (413), its digest (422)
    and its first bytes, which must agree with the extension (415)."""
    from fieldtui.county.intake import (
        check_file,
        check_file_name,
        check_scan_extension,
        store_file,
    )
    from fieldtui.domain.submission import SCAN_MAX_BYTES

    county: County = request.app.state.county
    found = await _authorize(request, close=True)
    if isinstance(found, Response):
        return found
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > SCAN_MAX_BYTES:
        _note(request, error="too_large")
        return _error(
            Rejection(413, "too_large", f"the file is over the limit of {SCAN_MAX_BYTES} bytes"),
            close=True,
        )
    batch_id = request.path_params["batch_id"]
    if not _UUID.fullmatch(batch_id):
        _note(request, error="not_found")
        return _error(Rejection(404, "not_found", "no batch with this id was received"), close=True)
    _note(request, batch=batch_id)
    name = _strict_name(request)
    if name is None:
        _note(request, error="invalid_name")
        return _error(
            Rejection(
                422,
                "invalid_name",
                "the file name is not UTF-8 text (its percent-encoded bytes decode to no text)",
                "name",
            ),
            close=True,
        )
    try:
        check_file_name(name)
        check_scan_extension(name)
    except Rejection as rej:
        _note(request, error=rej.code)
        return _error(rej, close=True)
    _note(request, file=name)
    digest = parse_content_digest(request.headers.get("content-digest", ""))
    if digest is None:
        _note(request, error="invalid_header", path="Content-Digest")
        return _error(
            Rejection(
                422,
                "invalid_header",
                "Content-Digest must name the body's SHA-256 (sha-256=:<base64>:)",
                "Content-Digest",
            ),
            close=True,
        )
    try:
        owned = await county.db(_owned_batch, county, batch_id, found.unit)
    except sqlite3.Error as exc:
        return _unavailable(request, exc)
    if isinstance(owned, Rejection):
        _note(request, error=owned.code)
        return _error(owned, close=True)
    key = f"{batch_id}/{name}"
    if county.options.dedup and key in county.inflight:
        _note(request, error="in_flight")
        return _error(
            Rejection(
                409,
                "in_flight",
                "the same file of this batch is still being received; retry",
                headers={"Retry-After": "1"},
            ),
            close=True,
        )
    county.inflight.add(key)
    try:
        try:
            body = await _read_body(request, SCAN_MAX_BYTES)
        except Rejection as rej:
            _note(request, error=rej.code)
            return _error(rej, close=True)
        except ClientDisconnect:
            _note(request, error="client gone")
            return Response(status_code=400)  # nobody is listening any more
        loop = asyncio.get_running_loop()
        try:
            checked = await loop.run_in_executor(
                None, partial(check_file, name, body, declared_digest=digest)
            )
            outcome = await county.db(
                store_file,
                county.store,
                batch_id,
                checked,
                source="push",
                unit=found.unit,
                token_id=found.id,
            )
        except Rejection as rej:
            _note(request, error=rej.code, path=rej.path)
            return _error(rej)
        except sqlite3.Error as exc:
            return _unavailable(request, exc)
    finally:
        county.inflight.discard(key)
    _note(request, outcome="stored" if outcome.created else "duplicate")
    return JSONResponse(outcome.receipt, status_code=outcome.status)


def _file_list(county: County, batch_id: str, unit: str) -> dict[str, Any] | Rejection:
    owned = _owned_batch(county, batch_id, unit)
    if isinstance(owned, Rejection):
        return owned
    return {"batch_id": batch_id, "files": [f.receipt for f in county.store.files_of(batch_id)]}


async def list_files(request: Request) -> Response:
    """``GET /api/v1/batches/{id}/files``: the receipts of the files received for one of the
    token's own batches."""
    county: County = request.app.state.county
    found = await _authorize(request, close=False)
    if isinstance(found, Response):
        return found
    batch_id = request.path_params["batch_id"]
    if not _UUID.fullmatch(batch_id):
        _note(request, error="not_found")
        return _error(Rejection(404, "not_found", "no batch with this id was received"))
    _note(request, batch=batch_id)
    try:
        out = await county.db(_file_list, county, batch_id, found.unit)
    except sqlite3.Error as exc:
        return _unavailable(request, exc)
    if isinstance(out, Rejection):
        _note(request, error=out.code)
        return _error(out)
    return JSONResponse(out)


async def health(request: Request) -> Response:
    limited = _client_rate(request, close=False)
    if limited is not None:
        return limited
    return JSONResponse({"status": "ok"})


async def openapi(request: Request) -> Response:
    limited = _client_rate(request, close=False)
    if limited is not None:
        return limited
    return JSONResponse(request.app.state.openapi)


_CONTROL = {i: f"\\x{i:02x}" for i in [*range(32), 127]}


def _clean(value: Any) -> str:
    """A value for a log line: no control characters (no forged lines), encodable, bounded."""
    from fieldtui.domain.schema import printable

    return printable(str(value)).translate(_CONTROL)[:160]


class AccessLog:
    """One log line per request. Never logs headers, bodies or the query string."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def logged_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        finally:
            client = scope.get("client") or ("-", 0)
            extra = " ".join(f"{k}={_clean(v)}" for k, v in scope.get("fieldtui.log", {}).items())
            log.info(
                "%s %s %s %s %.1fms %s",
                client[0],
                scope.get("method", "-"),
                scope.get("path", "-")[:200],
                status or "-",
                (time.perf_counter() - start) * 1000,
                extra,
            )


def build_app(county: County) -> Any:
    """The ASGI application: access log, then the read deadline, then the Starlette routes."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        yield
        county.close()

    app = Starlette(
        routes=[
            Route(API_PATH, post_batch, methods=["POST"]),
            Route(REVIEW_PATH, get_review, methods=["GET"]),
            Route(FILES_PATH, list_files, methods=["GET"]),
            Route(FILE_PATH, put_file, methods=["PUT"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
            Route(OPENAPI_PATH, openapi, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.county = county
    app.state.openapi = document()
    guarded = ReadDeadline(app, idle=county.options.body_idle, total=county.options.body_total)
    return AccessLog(guarded)
