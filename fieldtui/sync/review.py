"""The county's review, township side: fetch it, import it from the county's file, store it.

- **Fetch**: ``GET {endpoint}/api/v1/batches/{id}/review`` with the township's token, for every
  batch the county acknowledged. The answer is checked against the wire schema and must name the
  batch asked for and this township; it is stored (a new version only when it changed). A batch
  the county does not know (404) or a refusal (401/403) is reported, never fatal: sending already
  succeeded. Connection errors and 5xx are tried once more after a short wait.
- **Import**: the county's review file (``fieldtui county review export``) for townships that use
  e-mail: its SHA-256 is checked, the unit must be this township's, and if the township has a
  token the county's HMAC must match it (see :func:`fieldtui.domain.review.read_reviews_file`).
  Reviews of batches this database does not hold are skipped and named.

httpx is imported when a fetch starts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldtui.domain.errors import Refusal
from fieldtui.domain.review import REVIEW_SCHEMA, ReviewError, read_reviews_file, token_key
from fieldtui.domain.rubric import CHINA_TZ
from fieldtui.domain.schema import SchemaError
from fieldtui.domain.submission import BatchRecord
from fieldtui.settings import Settings
from fieldtui.store.store import Store

FETCH_TIMEOUT = 15.0
MAX_FILE = 32 * 1024 * 1024


def _now() -> str:
    return dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds")


@dataclass
class Fetched:
    batch_id: str
    period: str
    status: str | None  # the review status, or None if it could not be fetched
    changed: bool = False
    error: str = ""
    error_zh: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "period": self.period,
            "status": self.status,
            "changed": self.changed,
            "error": self.error,
        }


@dataclass
class FetchReport:
    results: list[Fetched] = field(default_factory=list)

    @property
    def fetched(self) -> int:
        return sum(1 for r in self.results if r.status is not None)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if r.status is None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fetched": self.fetched,
            "failed": self.failed,
            "batches": [r.as_dict() for r in self.results],
        }


def review_url(settings: Settings, batch_id: str) -> str:
    from fieldtui.sync.client import endpoint_url

    return f"{endpoint_url(settings)}/{batch_id}/review"


async def _fetch_one(client: Any, url: str, rec: BatchRecord, unit: str) -> tuple[Fetched, dict[str, Any] | None]:  # fmt: skip
    import httpx

    last = ("", "")
    for attempt in range(2):
        if attempt:
            await asyncio.sleep(1.0)
        try:
            async with asyncio.timeout(FETCH_TIMEOUT):
                resp = await client.get(url, timeout=FETCH_TIMEOUT)
        except (httpx.TransportError, TimeoutError) as exc:
            last = (f"cannot reach the county ({type(exc).__name__})",
                    f"无法连接县级服务器（{type(exc).__name__}）")  # fmt: skip
            continue
        if resp.status_code >= 500:
            last = (f"the county answered {resp.status_code}", f"县级服务器返回 {resp.status_code}")
            continue
        if resp.status_code != 200:
            try:
                msg = str(resp.json().get("message", ""))[:200]
            except ValueError:
                msg = ""
            return Fetched(rec.id, rec.period, None, error=f"{resp.status_code}: {msg}",
                           error_zh=f"{resp.status_code}：{msg}"), None  # fmt: skip
        try:
            doc = resp.json()
            REVIEW_SCHEMA.validate(doc)
        except (ValueError, SchemaError) as exc:
            return Fetched(rec.id, rec.period, None, error=f"not a review ({exc})",
                           error_zh=f"不是审核结果（{exc}）"), None  # fmt: skip
        if doc["batch_id"] != rec.id or (unit and doc["unit"] != unit):
            return Fetched(rec.id, rec.period, None, error="the review names another batch",
                           error_zh="审核结果与批次不符"), None  # fmt: skip
        return Fetched(rec.id, rec.period, doc["status"]), doc
    return Fetched(rec.id, rec.period, None, error=last[0], error_zh=last[1]), None


def fetch_reviews(
    store: Store,
    settings: Settings,
    batches: Sequence[BatchRecord] | None = None,
    *,
    campaign_id: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> FetchReport:
    """Fetch and store the county's review of every acknowledged batch (or of ``batches``)."""
    from fieldtui.sync.client import _bearer_auth, _tls, endpoint_url, token_of

    endpoint_url(settings)  # refuses at once when no endpoint is set
    token = token_of(settings)
    todo = [
        b for b in (batches if batches is not None else store.batches.all(campaign_id))
        if b.acknowledged_at is not None
    ]  # fmt: skip
    report = FetchReport()
    if not todo:
        return report
    unit = str(settings.get("unit") or "")
    ca_file = str(settings.get("ca_file") or "")

    async def run() -> list[tuple[Fetched, dict[str, Any] | None]]:
        import httpx

        out = []
        async with httpx.AsyncClient(
            auth=_bearer_auth(token), verify=_tls(ca_file), follow_redirects=False
        ) as client:
            for rec in todo:
                if progress is not None:
                    progress(rec.id)
                out.append(await _fetch_one(client, review_url(settings, rec.id), rec, unit))
        return out

    now = _now()
    for got, doc in asyncio.run(run()):
        if doc is not None:
            got.changed = store.reviews.record(doc, "endpoint", now)
        report.results.append(got)
    return report


@dataclass
class Imported:
    unit: str
    exported_at: str
    signed: bool
    stored: list[str] = field(default_factory=list)  # batch ids whose review was new or changed
    same: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # batches this database does not hold

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "exported_at": self.exported_at,
            "signed": self.signed,
            "stored": self.stored,
            "unchanged": self.same,
            "unknown": self.unknown,
        }


def import_reviews_file(store: Store, settings: Settings, path: Path) -> Imported:
    """Check the county's review file whole (schema, SHA-256, unit, HMAC), then store it."""
    where = str(path)
    try:
        if path.stat().st_size > MAX_FILE:
            raise ReviewError(f"{where}: too large to be a review file")
        body = path.read_bytes()
    except OSError as exc:
        raise ReviewError(f"{where}: {exc.strerror or exc}") from None
    token = settings.token()
    own_hash = None
    if token:
        try:
            own_hash = token_key(token)
        except UnicodeEncodeError:
            own_hash = None
    f = read_reviews_file(body, where, str(settings.get("unit") or ""), own_hash)
    out = Imported(f.unit, f.exported_at, f.signed)
    now = _now()
    for doc in f.reviews:
        if store.batches.get(doc["batch_id"]) is None:
            out.unknown.append(doc["batch_id"])
            continue
        try:
            new = store.reviews.record(doc, "file", now)
        except Refusal as exc:
            raise ReviewError(f"{where}: {exc}") from None
        (out.stored if new else out.same).append(doc["batch_id"])
    return out
