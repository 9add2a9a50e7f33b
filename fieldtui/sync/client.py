"""Pushing sealed batches to the county endpoint, with an outbox that survives restarts.

Protocol (agreed with the county receiver, see docs/cli.md and fieldtui/domain/batch.py):
``POST {endpoint}/api/v1/batches`` with the sealed canonical bytes as the body and the headers
``Authorization: Bearer <token>``, ``Idempotency-Key: <batch id>``, ``Content-Digest:
sha-256=:<b64>:`` and ``Content-Type: application/json``.

- 201 (stored) or 200 (same id and digest again): a receipt, validated against RECEIPT_SCHEMA and
  checked to name this batch and digest, is stored and the batch is acknowledged.
- Connection errors, timeouts, a dropped response (``RemoteProtocolError``), 408, 409 (the same
  key still in flight), 425, 429 and 5xx are retried with the same key, with exponential backoff
  and jitter (``stamina``), honouring ``Retry-After`` (capped), until the batch's deadline.
- A 422 ``digest_mismatch`` (the body arrived changed or cut short) is retried too: this client's
  body always matches its digest, so the damage happened on the way.
- Other 4xx (401, 403, 413, 422 — including the same id with another digest) are permanent: not
  retried, shown with the server's message, the batch blocked in the outbox until sent again by
  hand. An unverifiable TLS certificate is permanent too.

Files (the scan of the stamped pages): once the county has acknowledged a batch, each attached
file it has not acknowledged yet is sent with ``PUT {endpoint}/api/v1/batches/{id}/files/{name}``
(the raw bytes, ``Content-Digest``), under the same retry policy and deadline per file. A 201/200
file receipt naming the batch and the file's SHA-256 marks the file sent, so it is sent once; a
scan attached after the batch was acknowledged keeps the batch in the outbox until it is sent.

Every attempt runs under a hard time limit (asyncio cancellation), so a server that drips bytes
or stalls cannot hold a batch past its deadline. The token is only ever placed in the request
header by :class:`BearerAuth`; it is kept out of messages, logs and ``repr``.

httpx is imported when a send starts, never by the app's start-up path.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import json
import ssl
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from fieldtui.domain.batch import (
    API_PATH,
    ERROR_SCHEMA,
    FILE_RECEIPT_SCHEMA,
    RECEIPT_SCHEMA,
    content_digest_header,
)
from fieldtui.domain.schema import SchemaError, Spec
from fieldtui.domain.submission import BatchFile, BatchRecord
from fieldtui.settings import Secret, Settings
from fieldtui.store.store import Store
from fieldtui.sync.errors import SettingMissing, SyncError

if TYPE_CHECKING:
    import httpx

# Statuses retried with the same key; everything else that is not 200/201 is permanent.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# The one 422 that is retried: the county's "the body does not match its Content-Digest".
TRANSIT_ERROR = "digest_mismatch"


@dataclass(frozen=True, slots=True)
class PushConfig:
    """How hard the client tries. The defaults suit a township office's flaky line.

    Per batch: at most ``attempts`` tries within ``deadline`` seconds in all (waits included);
    each try is cut off after ``attempt_timeout`` seconds whatever the server does, with
    ``connect_timeout`` for the connection and ``read_timeout`` between bytes. Waits grow as
    ``min(wait_max, wait_initial * wait_exp_base ** (n - 1) + uniform(0, wait_jitter))``; a
    ``Retry-After`` is honoured up to ``retry_after_max`` seconds.
    """

    deadline: float = 120.0
    attempts: int = 8
    attempt_timeout: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    wait_initial: float = 1.0
    wait_max: float = 30.0
    wait_jitter: float = 1.0
    wait_exp_base: float = 2.0
    retry_after_max: float = 60.0
    min_attempt: float = 0.2  # never start a try with less time than this left

    def __post_init__(self) -> None:
        if self.deadline <= 0 or self.attempts < 1 or self.attempt_timeout <= 0:
            raise ValueError("deadline, attempts and attempt_timeout must be positive")


class Token:
    """The county token: shown nowhere (``repr`` and ``str`` are masked)."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        self._value: str = value.reveal() if isinstance(value, Secret) else value

    def __repr__(self) -> str:
        return "Token('******')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def header(self) -> str:
        return "Bearer " + self._value

    def is_header_safe(self) -> bool:
        """Printable ASCII without spaces: what an HTTP header can carry unchanged."""
        return all(33 <= ord(ch) < 127 for ch in self._value)


def _bearer_auth(token: Token) -> Any:
    import httpx

    class BearerAuth(httpx.Auth):
        def __init__(self, tok: Token) -> None:
            self._token = tok

        def __repr__(self) -> str:
            return "BearerAuth(******)"

        def auth_flow(self, request: httpx.Request) -> Any:
            request.headers["Authorization"] = self._token.header()
            yield request

    return BearerAuth(token)


def _clean(text: str, limit: int = 300) -> str:
    """Server text made safe to show: no control characters (terminal escapes), bounded."""
    out = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)
    out = " ".join(out.split())
    return out[:limit] + ("…" if len(out) > limit else "")


# ---------------------------------------------------------------------------------------------
# Outcomes

ACKNOWLEDGED = "acknowledged"
FAILED = "failed"  # permanent: not retried until sent again by hand
PENDING = "pending"  # gave up for now: stays in the outbox


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """How the upload of one attached file ended."""

    name: str
    status: str  # ACKNOWLEDGED, FAILED or PENDING
    attempts: int
    http_status: int | None = None
    receipt: dict[str, Any] | None = None
    zh: str = ""
    en: str = ""

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "attempts": self.attempts,
            "http_status": self.http_status,
            "message": self.en if self.status != ACKNOWLEDGED else "",
            "message_zh": self.zh if self.status != ACKNOWLEDGED else "",
            "receipt": self.receipt,
        }


@dataclass(frozen=True, slots=True)
class PushOutcome:
    batch_id: str
    period: str
    status: str
    attempts: int
    http_status: int | None = None
    receipt: dict[str, Any] | None = None
    zh: str = ""
    en: str = ""
    files: tuple[FileOutcome, ...] = ()

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    @property
    def duplicate(self) -> bool:
        return bool(self.receipt and self.receipt.get("duplicate"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "period": self.period,
            "status": self.status,
            "attempts": self.attempts,
            "http_status": self.http_status,
            "message": self.en if self.status != ACKNOWLEDGED else "",
            "message_zh": self.zh if self.status != ACKNOWLEDGED else "",
            "receipt": self.receipt,
            "files": [f.as_dict() for f in self.files],
        }


@dataclass(frozen=True, slots=True)
class SendProgress:
    """What the screen shows while a send runs."""

    batch_id: str
    period: str
    index: int  # 1-based position of this batch in the run
    total: int
    attempt: int
    event: str  # "sending", "sending_file" (detail: the name), "retrying", "acknowledged",
    # "failed", "pending"
    wait: float = 0.0
    detail: str = ""  # English
    detail_zh: str = ""

    def text(self, lang: str) -> str:
        return self.detail if lang == "en" else (self.detail_zh or self.detail)


@dataclass
class SendReport:
    outcomes: list[PushOutcome] = field(default_factory=list)
    stopped: bool = False  # asked to stop (the app quit): the rest stays in the outbox

    @property
    def ok(self) -> bool:
        return all(o.status == ACKNOWLEDGED for o in self.outcomes) and not any(
            f.status != ACKNOWLEDGED for o in self.outcomes for f in o.files
        )

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def file_count(self, status: str) -> int:
        return sum(1 for o in self.outcomes for f in o.files if f.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": len(self.outcomes),
            "acknowledged": self.count(ACKNOWLEDGED),
            "failed": self.count(FAILED),
            "pending": self.count(PENDING),
            "files_acknowledged": self.file_count(ACKNOWLEDGED),
            "files_failed": self.file_count(FAILED),
            "files_pending": self.file_count(PENDING),
            "stopped": self.stopped,
            "batches": [o.as_dict() for o in self.outcomes],
        }


# ---------------------------------------------------------------------------------------------
# One batch


class _Retryable(Exception):
    def __init__(self, status: int | None, zh: str, en: str, retry_after: float | None = None):
        super().__init__(en)
        self.status = status
        self.zh = zh
        self.en = en
        self.retry_after = retry_after


class _Permanent(Exception):
    def __init__(self, status: int | None, zh: str, en: str) -> None:
        super().__init__(en)
        self.status = status
        self.zh = zh
        self.en = en


class _OutOfTime(Exception):
    pass


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now_ts = time.time() if now is None else now
    return max(0.0, when.timestamp() - now_ts)


def _server_error(resp: httpx.Response) -> tuple[str, str, str]:
    """The county's error code, its message made safe to show (ERROR_SCHEMA) and the place it
    names, if it sent one."""
    try:
        obj = json.loads(resp.content[:20000].decode("utf-8"))
        ERROR_SCHEMA.validate(obj)
    except (ValueError, SchemaError):
        return "", _clean(resp.reason_phrase or ""), ""
    where = f" ({obj['path']})" if obj.get("path") else ""
    msg = _clean(f"{obj['error']}: {obj['message']}{where}")
    return str(obj["error"]), msg, str(obj.get("path") or "")


def _is_cert_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(cur):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _receipt(
    resp: httpx.Response,
    schema: Spec,
    expect: Mapping[str, str],
    invalid: tuple[str, str],
    mismatch: tuple[str, str],
) -> dict[str, Any] | None:
    """The receipt of a 200/201 (checked against ``schema`` and naming ``expect``), None for
    any other status; raise _Retryable for a receipt that is malformed or names another thing."""
    status = resp.status_code
    if status not in (200, 201):
        return None
    try:
        receipt = json.loads(resp.content.decode("utf-8"))
        schema.validate(receipt)
    except (ValueError, SchemaError) as exc:
        why = _clean(str(exc), 120)
        raise _Retryable(status, f"{invalid[0]}（{why}）", f"{invalid[1]} ({why})") from None
    if any(receipt[k] != v for k, v in expect.items()):
        raise _Retryable(status, *mismatch)
    return dict(receipt)


def _classify_response(
    resp: httpx.Response, batch_id: str, digest: str, now: float
) -> dict[str, Any]:
    """The receipt of a 200/201, or raise _Retryable / _Permanent."""
    receipt = _receipt(
        resp, RECEIPT_SCHEMA, {"batch_id": batch_id, "digest": digest},
        ("服务器回执无效", "invalid receipt from the server"),
        ("服务器回执与本批次不符（批次号或摘要不同）", "the receipt names another batch or digest"),
    )  # fmt: skip
    if receipt is None:
        _refuse(resp, now, _BATCH_HINTS)
    return receipt


_BATCH_HINTS: dict[int, tuple[str, str]] = {
    401: ("令牌无效或缺失：请检查设置项 token（或环境变量 FIELDTUI_TOKEN）",
          "token missing or wrong: check setting `token` (or FIELDTUI_TOKEN)"),
    403: ("令牌属于其他填报单位：请检查设置项 unit 与令牌是否一致",
          "the token belongs to another unit: check setting `unit` against the token"),
    413: ("批次太大，服务器拒收", "the batch is too large for the server"),
    422: ("县级服务器拒收此批次", "the county refused this batch"),
}  # fmt: skip
_FILE_HINTS: dict[int, tuple[str, str]] = {
    **_BATCH_HINTS,
    403: ("此批次属于其他填报单位，县级拒收扫描件",
          "the batch belongs to another unit; the county refused the scan"),
    404: ("县级没有收到此批次，无法附加扫描件", "the county has no such batch to add the scan to"),
    413: ("扫描件太大，服务器拒收", "the scan is too large for the server"),
    415: ("扫描件不是 PDF、JPG 或 PNG，或扩展名与内容不符，县级拒收",
          "the scan is not a PDF, JPEG or PNG, or its name's extension does not match it"),
    422: ("县级服务器拒收此扫描件", "the county refused this scan"),
}  # fmt: skip


# Refusals that need their own words for the officer, by (error code, path).
_CODE_HINTS: dict[tuple[str, str], tuple[str, str]] = {
    ("invalid_batch", "sealed_at"): (
        "本机时钟似乎不对：批次的封存时间比县级服务器收到它的时间晚一天以上。请把电脑的日期和"
        "时间改正，然后重新封存本期并上报",
        "this computer's clock looks wrong: the batch was sealed more than a day after the "
        "county received it. Set the computer's date and time right, then seal the period "
        "again and send it",
    ),
}  # fmt: skip


def _classify_file_response(
    resp: httpx.Response, batch_id: str, sha256: str, now: float
) -> dict[str, Any]:
    """The file receipt of a 200/201, or raise _Retryable / _Permanent."""
    receipt = _receipt(
        resp, FILE_RECEIPT_SCHEMA, {"batch_id": batch_id, "sha256": sha256},
        ("服务器回执无效", "invalid file receipt from the server"),
        ("服务器回执与此扫描件不符（批次号或摘要不同）",
         "the file receipt names another batch or SHA-256"),
    )  # fmt: skip
    if receipt is None:
        _refuse(resp, now, _FILE_HINTS)
    return receipt


def _refuse(resp: httpx.Response, now: float, hints: dict[int, tuple[str, str]]) -> NoReturn:
    """Raise _Retryable or _Permanent for a response that is not a receipt."""
    status = resp.status_code
    code, msg, path = _server_error(resp)
    # The body this client sends always matches its Content-Digest: a county that finds otherwise
    # received bytes changed or cut short on the way, so sending the same bytes again is right.
    if status in RETRY_STATUSES or (status == 422 and code == TRANSIT_ERROR):
        wait = retry_after_seconds(resp.headers.get("retry-after"), now)
        raise _Retryable(
            status, f"服务器答复 {status} {msg}", f"server answered {status} {msg}", wait
        )
    zh, en = _CODE_HINTS.get((code, path)) or hints.get(
        status, ("服务器拒绝了请求", "the server refused the request")
    )
    raise _Permanent(status, f"{status}：{zh}（{msg}）", f"{status}: {en} ({msg})")


@dataclass
class _Run:
    """State shared by the attempts of one batch (the backoff hook reads it)."""

    cfg: PushConfig
    started: float
    next_wait: float = 0.0
    attempts: int = 0
    last: _Retryable | None = None
    on_retry: Callable[[float, _Retryable], None] | None = None

    def remaining(self) -> float:
        return self.cfg.deadline - (time.monotonic() - self.started)


def _classify_exception(exc: BaseException) -> _Retryable | _Permanent | None:
    import httpx

    if isinstance(exc, (_Retryable, _Permanent)):
        return exc
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return _Retryable(None, "连接超时", "timed out")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return _Permanent(
            None, "县级接收地址无效（设置项 endpoint）", "bad endpoint URL (setting `endpoint`)"
        )
    if isinstance(exc, httpx.TransportError):
        if _is_cert_error(exc):
            return _Permanent(
                None,
                "无法验证县级服务器的证书，未发送：若使用内部证书，请设置 ca_file",
                "cannot verify the county server's certificate; nothing sent. For an in-house CA "
                "set `ca_file`",
            )
        if isinstance(exc, httpx.RemoteProtocolError):
            return _Retryable(
                None, "连接中断，未收到完整答复", "connection dropped before a full answer"
            )
        if isinstance(exc, httpx.ConnectError):
            return _Retryable(None, "无法连接县级服务器", "cannot connect to the county server")
        return _Retryable(
            None, f"网络错误（{type(exc).__name__}）", f"network error ({type(exc).__name__})"
        )
    return None


def _backoff_hook(run: _Run) -> Callable[[Exception], bool | float]:
    """stamina's retry decision: retry transient failures while the deadline allows.

    Returns True to let stamina wait its own jittered exponential backoff, a number of seconds
    to wait instead (a capped ``Retry-After``, or the backoff without jitter when the jitter
    could overrun the deadline), or False to give up and leave the batch in the outbox.
    """

    def hook(exc: Exception) -> bool | float:
        kind = _classify_exception(exc)
        if not isinstance(kind, _Retryable):
            return False
        run.last = kind
        cfg = run.cfg
        remaining = run.remaining()
        if kind.retry_after is not None:
            wait = min(kind.retry_after, cfg.retry_after_max)
        else:
            if min(cfg.wait_max, run.next_wait + cfg.wait_jitter) + cfg.min_attempt <= remaining:
                if run.on_retry is not None:
                    run.on_retry(run.next_wait, kind)
                return True
            wait = run.next_wait
        if wait + cfg.min_attempt > remaining:
            return False  # no time for another try before the deadline
        if run.on_retry is not None:
            run.on_retry(wait, kind)
        return wait

    return hook


async def _post(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: Any,
    method: str = "POST",
) -> httpx.Response:
    try:
        return await client.request(method, url, content=body, headers=headers, timeout=timeout)
    except Exception as exc:
        if _classify_exception(exc) is not None:
            raise
        # A fault inside httpx, httpcore or h11: their frames hold the request headers, the
        # token among them, and a crash report would print them. Report it without them.
        name = type(exc).__name__
        raise _Permanent(
            None, f"发送时出现意外错误（{name}），请稍后重新上报",
            f"unexpected error while sending ({name}); send again later",
        ) from None  # fmt: skip


async def push_one(
    client: httpx.AsyncClient,
    url: str,
    batch_id: str,
    body: bytes,
    digest: str,
    cfg: PushConfig,
    *,
    on_attempt: Callable[[int], None] | None = None,
    on_retry: Callable[[float, _Retryable], None] | None = None,
) -> tuple[tuple[int, dict[str, Any]] | None, int, _Retryable | _Permanent | None]:
    """POST one batch until acknowledged, refused, or out of time or attempts.

    Returns ((HTTP status, receipt) or None, attempts made, the last failure or None).
    """
    headers = {
        "Idempotency-Key": batch_id,
        "Content-Digest": content_digest_header(body),
        "Content-Type": "application/json",
        "Accept": "application/json",
    }

    def classify(resp: httpx.Response) -> dict[str, Any]:
        return _classify_response(resp, batch_id, digest, time.time())

    return await _deliver(
        client, "POST", url, body, headers, classify, cfg, on_attempt=on_attempt, on_retry=on_retry
    )


async def push_file(
    client: httpx.AsyncClient,
    url: str,
    batch_id: str,
    data: bytes,
    sha256: str,
    mime: str,
    cfg: PushConfig,
    *,
    on_attempt: Callable[[int], None] | None = None,
    on_retry: Callable[[float, _Retryable], None] | None = None,
) -> tuple[tuple[int, dict[str, Any]] | None, int, _Retryable | _Permanent | None]:
    """PUT one file of an acknowledged batch to ``url`` (``.../files/{name}``), as push_one."""
    headers = {
        "Content-Digest": content_digest_header(data),
        "Content-Type": mime or "application/octet-stream",
        "Accept": "application/json",
    }

    def classify(resp: httpx.Response) -> dict[str, Any]:
        return _classify_file_response(resp, batch_id, sha256, time.time())

    return await _deliver(
        client, "PUT", url, data, headers, classify, cfg, on_attempt=on_attempt, on_retry=on_retry
    )


async def _deliver(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    classify: Callable[[httpx.Response], dict[str, Any]],
    cfg: PushConfig,
    *,
    on_attempt: Callable[[int], None] | None = None,
    on_retry: Callable[[float, _Retryable], None] | None = None,
) -> tuple[tuple[int, dict[str, Any]] | None, int, _Retryable | _Permanent | None]:
    """Send one request until it gets a receipt, a refusal, or runs out of time or attempts."""
    import httpx
    import stamina

    run = _Run(cfg=cfg, started=time.monotonic(), on_retry=on_retry)
    try:
        async for attempt in stamina.retry_context(
            on=_backoff_hook(run),
            attempts=cfg.attempts,
            timeout=cfg.deadline,
            wait_initial=cfg.wait_initial,
            wait_max=cfg.wait_max,
            wait_jitter=cfg.wait_jitter,
            wait_exp_base=cfg.wait_exp_base,
        ):
            with attempt:
                run.next_wait = attempt.next_wait
                budget = min(cfg.attempt_timeout, run.remaining())
                if budget < cfg.min_attempt:
                    raise _OutOfTime
                run.attempts += 1
                if on_attempt is not None:
                    on_attempt(run.attempts)
                timeout = httpx.Timeout(
                    connect=min(cfg.connect_timeout, budget),
                    read=min(cfg.read_timeout, budget),
                    write=min(cfg.read_timeout, budget),
                    pool=min(cfg.connect_timeout, budget),
                )
                async with asyncio.timeout(budget):
                    resp = await _post(client, url, body, headers, timeout, method)
                receipt = classify(resp)
                return (resp.status_code, receipt), run.attempts, None
    except _OutOfTime:
        return None, run.attempts, run.last
    except Exception as exc:
        kind = _classify_exception(exc)
        if kind is None:
            raise
        return None, run.attempts, kind
    return None, run.attempts, run.last  # pragma: no cover - stamina returns or raises


# ---------------------------------------------------------------------------------------------
# The outbox


def _tls(ca_file: str) -> ssl.SSLContext:
    if ca_file:
        path = Path(ca_file).expanduser()
        if not path.is_file():
            raise SyncError(
                f"ca_file：找不到证书文件 {ca_file}", f"ca_file: no such file {ca_file}"
            )
        try:
            return ssl.create_default_context(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise SyncError(
                f"无法读取 CA 证书文件 {ca_file}（{exc}）", f"cannot load CA file {ca_file} ({exc})"
            ) from None
    import certifi

    ctx = ssl.create_default_context()  # the system's CAs (Windows: its certificate store)
    ctx.load_verify_locations(cafile=certifi.where())
    return ctx


def endpoint_url(settings: Settings) -> str:
    endpoint = str(settings.get("endpoint") or "")
    if not endpoint:
        raise SettingMissing(
            "endpoint",
            "未设置县级接收地址（设置项 endpoint）：运行 fieldtui config set endpoint https://…",
            "no county endpoint set (setting `endpoint`): run `fieldtui config set endpoint "
            "https://...`",
        )
    return endpoint.rstrip("/") + API_PATH


def token_of(settings: Settings) -> Token:
    # Only a Token (masked repr) is ever held in a local: a crash report that prints the locals
    # of each frame (Textual does) cannot show the secret.
    token = Token(settings.token())
    if not token:
        raise SettingMissing(
            "token",
            "未设置县级接收令牌（设置项 token，或环境变量 FIELDTUI_TOKEN）",
            "no county token set (setting `token`, or the FIELDTUI_TOKEN environment variable)",
        )
    if not token.is_header_safe():
        raise SyncError(
            "令牌含有空格、中文或其他不可用字符：请重新复制县级中心发放的令牌",
            "the token holds spaces or non-ASCII characters: copy it again from the county",
        )
    return token


def _outcome(
    rec: BatchRecord, status: str, attempts: int, failure: Any, answer: Any = None
) -> PushOutcome:
    if status == ACKNOWLEDGED:
        http, receipt = answer
        dup = bool(receipt.get("duplicate"))
        zh = "县级已接收（重复提交，沿用原回执）" if dup else "县级已接收"
        en = "acknowledged (a repeat: the original receipt)" if dup else "acknowledged"
        return PushOutcome(rec.id, rec.period, status, attempts, http, receipt, zh, en)
    http = getattr(failure, "status", None)
    zh = getattr(failure, "zh", "") or "未发送"
    en = getattr(failure, "en", "") or "not sent"
    if status == PENDING:
        zh = f"暂未送达，留在待发箱稍后重试：{zh}"
        en = f"not delivered yet, kept in the outbox: {en}"
    return PushOutcome(rec.id, rec.period, status, attempts, http, None, zh, en)


async def _push_record(
    client: httpx.AsyncClient,
    store: Store,
    rec: BatchRecord,
    url: str,
    cfg: PushConfig,
    emit: Callable[[str, int, float, str, str], None],
) -> PushOutcome:
    if rec.acknowledged_at is not None:  # only its files are still to send
        out = PushOutcome(
            rec.id, rec.period, ACKNOWLEDGED, 0, None, rec.receipt,
            "县级此前已接收", "acknowledged earlier",
        )  # fmt: skip
    else:
        out = await _push_batch(client, store, rec, url, cfg, emit)
        if out.status != ACKNOWLEDGED:
            return out  # the files wait for the batch
    files = await _push_files(client, store, rec, url, cfg, emit)
    return replace(out, files=files)


def _file_outcome(name: str, answer: Any, attempts: int, failure: Any) -> FileOutcome:
    if answer is not None:
        http, receipt = answer
        dup = bool(receipt.get("duplicate"))
        zh = "扫描件县级已接收（此前已收到）" if dup else "扫描件县级已接收"
        en = "scan acknowledged (received before)" if dup else "scan acknowledged"
        return FileOutcome(name, ACKNOWLEDGED, attempts, http, receipt, zh, en)
    status = FAILED if isinstance(failure, _Permanent) else PENDING
    zh = getattr(failure, "zh", "") or "未发送"
    en = getattr(failure, "en", "") or "not sent"
    if status == PENDING:
        zh = f"扫描件暂未送达，稍后重试：{zh}"
        en = f"scan not delivered yet, kept in the outbox: {en}"
    else:
        zh = f"扫描件被拒收：{zh}"
        en = f"scan refused: {en}"
    return FileOutcome(name, status, attempts, getattr(failure, "status", None), None, zh, en)


async def _push_files(
    client: httpx.AsyncClient,
    store: Store,
    rec: BatchRecord,
    url: str,
    cfg: PushConfig,
    emit: Callable[[str, int, float, str, str], None],
) -> tuple[FileOutcome, ...]:
    """Upload each attached file the county has not acknowledged yet, oldest first."""
    from urllib.parse import quote

    fresh = store.batches.require(rec.id)  # files attached since the list was read, too
    outcomes: list[FileOutcome] = []
    for f in fresh.unsent_files:
        outcomes.append(await _push_one_file(client, store, rec, f, url, cfg, emit, quote))
    if outcomes and all(o.status == ACKNOWLEDGED for o in outcomes):
        store.batches.clear_error(rec.id)
    elif any(o.status == FAILED for o in outcomes):
        bad = next(o for o in outcomes if o.status == FAILED)
        store.batches.record_error(rec.id, f"{bad.zh} / {bad.en}", permanent=True)
    return tuple(outcomes)


async def _push_one_file(
    client: httpx.AsyncClient,
    store: Store,
    rec: BatchRecord,
    f: BatchFile,
    url: str,
    cfg: PushConfig,
    emit: Callable[[str, int, float, str, str], None],
    quote: Callable[..., str],
) -> FileOutcome:
    data = store.batches.file_data(f.id)
    retries = 0

    def on_attempt(n: int) -> None:
        emit("sending_file", n, 0.0, f.name, f.name)

    def on_retry(wait: float, why: _Retryable) -> None:
        nonlocal retries
        retries += 1
        emit("retrying", retries, wait, why.en, why.zh)

    file_url = f"{url}/{rec.id}/files/{quote(f.name, safe='')}"
    answer, attempts, failure = await push_file(
        client, file_url, rec.id, data, f.sha256, f.mime, cfg,
        on_attempt=on_attempt, on_retry=on_retry,
    )  # fmt: skip
    out = _file_outcome(f.name, answer, attempts, failure)
    if answer is not None:
        store.batches.acknowledge_file(f.id, answer[1])
    else:
        store.batches.record_file_error(f.id, f"{out.zh} / {out.en}")
    return out


async def _push_batch(
    client: httpx.AsyncClient,
    store: Store,
    rec: BatchRecord,
    url: str,
    cfg: PushConfig,
    emit: Callable[[str, int, float, str, str], None],
) -> PushOutcome:
    body = store.batches.body(rec.id)
    retries = 0

    def on_attempt(n: int) -> None:
        store.batches.start_attempt(rec.id)  # committed: a killed send stays in the outbox
        emit("sending", n, 0.0, "", "")

    def on_retry(wait: float, why: _Retryable) -> None:
        nonlocal retries
        retries += 1
        emit("retrying", retries, wait, why.en, why.zh)

    answer, attempts, failure = await push_one(
        client, url, rec.id, body, rec.digest, cfg, on_attempt=on_attempt, on_retry=on_retry
    )
    if answer is not None:
        store.batches.acknowledge(rec.id, answer[1])
        return _outcome(rec, ACKNOWLEDGED, attempts, None, answer)
    if isinstance(failure, _Permanent):
        out = _outcome(rec, FAILED, attempts, failure)
        store.batches.record_error(rec.id, f"{out.zh} / {out.en}", permanent=True)
        return out
    out = _outcome(rec, PENDING, attempts, failure)
    store.batches.record_error(rec.id, f"{out.zh} / {out.en}", permanent=False)
    return out


async def _send_all(
    store: Store,
    batches: Sequence[BatchRecord],
    url: str,
    token: Token,
    ca_file: str,
    cfg: PushConfig,
    progress: Callable[[SendProgress], None] | None,
    report: SendReport,
) -> SendReport:
    import logging

    import httpx

    # stamina reports each retry through logging; with no handler configured Python would print
    # them on stderr. The caller gets them as progress events instead.
    stamina_log = logging.getLogger("stamina")
    if not stamina_log.handlers:
        stamina_log.addHandler(logging.NullHandler())
    total = len(batches)
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=2)
    async with httpx.AsyncClient(
        auth=_bearer_auth(token), verify=_tls(ca_file), limits=limits, follow_redirects=False
    ) as client:
        for index, rec in enumerate(batches, start=1):

            def emit(event: str, attempt: int, wait: float, en: str, zh: str,
                     rec: BatchRecord = rec, index: int = index) -> None:  # fmt: skip
                if progress is not None:
                    progress(SendProgress(rec.id, rec.period, index, total, attempt, event, wait,
                                          en, zh))  # fmt: skip

            out = await _push_record(client, store, rec, url, cfg, emit)
            report.outcomes.append(out)
            emit(out.status, out.attempts, 0.0, out.en, out.zh)
    return report


async def _until_stopped(work: Any, should_stop: Callable[[], bool] | None) -> None:
    """Run ``work``; cancel it within 0.1 s once ``should_stop()`` says so."""
    task = asyncio.ensure_future(work)
    if should_stop is not None:
        while not task.done():
            if should_stop():
                task.cancel()
                break
            await asyncio.wait({task}, timeout=0.1)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def send_batches(
    store: Store,
    settings: Settings,
    batches: Sequence[BatchRecord],
    *,
    config: PushConfig | None = None,
    progress: Callable[[SendProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SendReport:
    """Queue ``batches`` in the outbox (committed first), then push each, oldest first.

    ``should_stop`` is polled while sending (a worker's ``is_cancelled``): when it turns true
    the send ends at once and what was not acknowledged stays in the outbox.
    """
    todo = [b for b in batches if b.acknowledged_at is None or b.unsent_files]
    if not todo:
        return SendReport()
    url = endpoint_url(settings)
    token = token_of(settings)
    ca_file = str(settings.get("ca_file") or "")
    store.batches.queue(b.id for b in todo)
    cfg = config or PushConfig()
    report = SendReport()
    work = _send_all(store, todo, url, token, ca_file, cfg, progress, report)
    asyncio.run(_until_stopped(work, should_stop))
    report.stopped = len(report.outcomes) < len(todo)
    return report


def send_pending(
    store: Store,
    campaign_id: str,
    settings: Settings,
    period: str | None = None,
    *,
    config: PushConfig | None = None,
    progress: Callable[[SendProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SendReport:
    """``fieldtui send``: every sealed, unacknowledged batch (of ``period``), blocked ones too,
    and every acknowledged one with attached scans the county has not acknowledged."""
    return send_batches(
        store, settings, store.batches.to_send(campaign_id, period),
        config=config, progress=progress, should_stop=should_stop,
    )  # fmt: skip


def retry_outbox(
    home: Path,
    *,
    config: PushConfig | None = None,
    progress: Callable[[SendProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SendReport | None:
    """For the app's start (run it in a thread worker): push what waits in the outbox.

    Pass ``should_stop=lambda: get_current_worker().is_cancelled`` so that quitting the app
    does not wait for the send's deadline.

    Opens its own settings and store (the app's connection stays on the UI thread). Returns None,
    without importing httpx, when the outbox is empty or no endpoint/token is set. Batches a
    permanent refusal blocked stay for the officer to send by hand.
    """
    from fieldtui.settings import load_settings
    from fieldtui.store.store import open_store

    settings = load_settings(home)
    if not settings.get("endpoint"):
        return None
    store = open_store(home)
    try:
        waiting = [b for b in store.batches.outbox() if not b.blocked]
        if not waiting:
            return None
        try:
            token_of(settings)
        except SyncError:
            return None
        return send_batches(
            store, settings, waiting, config=config or replace(PushConfig(), deadline=60.0),
            progress=progress, should_stop=should_stop,
        )  # fmt: skip
    finally:
        store.close()
