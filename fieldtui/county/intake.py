"""The one path every batch takes into the county: pushed over HTTP or imported from an e-mail.

``submit`` checks the body (digest, strict JSON, key, unit), answers a repeat from the stored
receipt, validates the batch completely with the shared wire format (schema, campaign, rubric hash,
every total recomputed by the one scoring function, no batch superseding itself, a seal time at
most a day after the receive or import time) and stores it with its receipt in one
transaction. Every refusal is a :class:`Rejection` carrying the HTTP status and error code the
endpoint answers with; ``county import`` prints the same message.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fieldtui.county.store import (
    ConflictingBatch,
    ConflictingFile,
    CountyStore,
    CountyStoreError,
)
from fieldtui.domain.batch import (
    FILE_NAME_MAX_BYTES,
    BatchError,
    BatchSummary,
    check_batch,
    check_seal_time,
    parse_batch,
    sha256_hex,
)
from fieldtui.domain.errors import Refusal
from fieldtui.domain.rubric import CHINA_TZ, Campaign
from fieldtui.domain.schema import SchemaError, printable


class Rejection(Refusal):
    """A batch or request refused: the HTTP status, a stable error code, the message, the path."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        path: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.path = path
        self.headers = dict(headers or {})
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        """The JSON error body; any text that could not be encoded (an unpaired surrogate from
        a hostile batch) is escaped, so rendering an error never fails."""
        out: dict[str, Any] = {"error": self.code, "message": printable(self.message)[:2000]}
        if self.path is not None:
            out["path"] = printable(self.path)[:300]
        return out


@dataclass(frozen=True, slots=True)
class Accepted:
    receipt: dict[str, Any]
    created: bool  # False: the same batch was already stored; receipt is the original one

    @property
    def status(self) -> int:
        return 201 if self.created else 200


def now_iso() -> str:
    return dt.datetime.now(CHINA_TZ).isoformat(timespec="milliseconds")


def _invalid(exc: SchemaError | BatchError) -> Rejection:
    return Rejection(422, "invalid_batch", str(exc), exc.path)


@dataclass(frozen=True, slots=True)
class Parsed:
    body: bytes
    digest: str
    obj: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Checked:
    parsed: Parsed
    summary: BatchSummary
    stations: list[dict[str, Any]]


def parse(
    body: bytes,
    *,
    token_unit: str | None = None,
    key: str | None = None,
    declared_digest: str | None = None,
) -> Parsed:
    """Step 1 (pure): digest, strict JSON, key and unit. Raises :class:`Rejection`."""
    digest = sha256_hex(body)
    if declared_digest is not None and not hmac.compare_digest(declared_digest, digest):
        raise Rejection(
            422,
            "digest_mismatch",
            "the body does not match its Content-Digest: it was changed or cut short on the way",
            "Content-Digest",
        )
    try:
        obj = parse_batch(body)
    except SchemaError as exc:
        raise _invalid(exc) from None
    if key is not None and obj.get("batch_id") != key:
        raise Rejection(
            422,
            "key_mismatch",
            "the Idempotency-Key must equal the batch's batch_id",
            "Idempotency-Key",
        )
    unit = obj.get("unit")
    if token_unit is not None and isinstance(unit, str) and unit != token_unit:
        raise Rejection(
            403,
            "wrong_unit",
            f"this token belongs to {token_unit}; the batch is for {unit[:60]}",
            "unit",
        )
    return Parsed(body, digest, obj)


def lookup(
    store: CountyStore, parsed: Parsed, *, registered_only: bool, dedup: bool = True
) -> Accepted | None:
    """Step 2 (database): the unit must be registered (imports); a batch already stored with
    the same digest answers with its original receipt, without validating the same bytes again.
    """
    unit = parsed.obj.get("unit")
    if registered_only and isinstance(unit, str) and not store.has_unit(unit):
        raise Rejection(
            422,
            "unknown_unit",
            f"{unit[:60]} is not a registered township (register it with county unit add)",
            "unit",
        )
    batch_id = parsed.obj.get("batch_id")
    if not dedup or not isinstance(batch_id, str):
        return None
    old = store.find(batch_id)
    if old is None:
        return None
    if old.digest != parsed.digest:
        raise Rejection(
            422, "conflicting_batch", str(ConflictingBatch(batch_id, old.digest)), "batch_id"
        )
    assert old.receipt is not None  # find() reads it
    receipt = dict(old.receipt)
    receipt["duplicate"] = True
    return Accepted(receipt, created=False)


def validate(
    parsed: Parsed, campaigns: Mapping[str, Campaign], *, received: dt.datetime | None = None
) -> Checked:
    """Step 3 (pure, the CPU work): the whole batch, every total recomputed, and its seal time
    no more than a day after ``received`` (the receive or import time; default now)."""
    obj = parsed.obj
    cid = obj.get("campaign_id")
    campaign = campaigns.get(cid) if isinstance(cid, str) else None
    if campaign is None:
        if not campaigns:
            raise Rejection(422, "invalid_batch", "the county has no campaign files", "campaign_id")
        campaign = next(iter(campaigns.values()))  # check_batch names what is wrong
    try:
        summary = check_batch(obj, campaign)
        check_seal_time(obj["sealed_at"], received or dt.datetime.now(CHINA_TZ))
    except (SchemaError, BatchError) as exc:
        raise _invalid(exc) from None
    visits = {v["id"]: v for v in obj["visits"]}
    stations = []
    for st in obj["stations"]:
        v = visits[st["visit_id"]] if st["visit_id"] is not None else None
        stations.append(
            {
                "id": st["id"],
                "name": st["name"],
                "visit_id": st["visit_id"],
                "total": v["total"] if v else None,
                "passed": int(v["passed"]) if v else None,
            }
        )
    return Checked(parsed, summary, stations)


def store_checked(
    store: CountyStore,
    checked: Checked,
    *,
    source: str,
    token_id: int | None = None,
    received_at: str | None = None,
    dedup: bool = True,
) -> Accepted:
    """Step 4 (database): the batch and its receipt in one transaction (dedup re-checked
    inside it, so a race between two writers still stores one copy)."""
    p = checked.parsed
    try:
        receipt, created = store.store_batch(
            p.body,
            p.digest,
            checked.summary,
            checked.stations,
            source=source,
            token_id=token_id,
            received_at=received_at or now_iso(),
            dedup=dedup,
        )
    except ConflictingBatch as exc:
        raise Rejection(422, "conflicting_batch", str(exc), "batch_id") from None
    return Accepted(receipt, created)


def submit(
    store: CountyStore,
    campaigns: Mapping[str, Campaign],
    body: bytes,
    *,
    source: str,
    token_unit: str | None = None,
    token_id: int | None = None,
    key: str | None = None,
    declared_digest: str | None = None,
    received_at: str | None = None,
    dedup: bool = True,
) -> Accepted:
    """Take one batch body in: the four steps in order. Raises :class:`Rejection`.

    ``token_unit`` is the unit the push token belongs to (it, not the batch text, fixes the
    unit); an import passes None and the batch's unit must be a registered township. The server
    runs the same steps, the pure ones off its database thread.
    """
    parsed = parse(body, token_unit=token_unit, key=key, declared_digest=declared_digest)
    known = lookup(store, parsed, registered_only=token_unit is None, dedup=dedup)
    if known is not None:
        return known
    received = dt.datetime.fromisoformat(received_at) if received_at else None
    checked = validate(parsed, campaigns, received=received)
    return store_checked(
        store, checked, source=source, token_id=token_id, received_at=received_at, dedup=dedup
    )


# ---------------------------------------------------------------------------------------------
# Files of a batch (the scan of the stamped pages): pushed with PUT .../files/{name}, or carried
# by an imported zip or e-mail. Both take the same two steps.


@dataclass(frozen=True, slots=True)
class CheckedFile:
    name: str
    mime: str
    data: bytes
    sha256: str


def check_file_name(name: str) -> None:
    """A file name the county stores as it is: safe on every file system. Raises 422."""
    from fieldtui.domain.filenames import is_safe_filename

    if not is_safe_filename(name, max_bytes=FILE_NAME_MAX_BYTES):
        raise Rejection(
            422,
            "invalid_name",
            "the file name must be a safe file name (no separators, no '..', no leading dot, "
            f"no control characters, a lower-case extension, at most {FILE_NAME_MAX_BYTES} "
            "bytes)",
            "name",
        )


def check_file(name: str, data: bytes, *, declared_digest: str | None = None) -> CheckedFile:
    """Step 1 (pure): name, size, digest, and a PDF/PNG/JPEG by its first bytes whose name's
    extension agrees with it (.pdf, .png, .jpg/.jpeg)."""
    from fieldtui.domain.submission import (
        SCAN_KIND_NAMES,
        SCAN_MAX_BYTES,
        extension_agrees,
        sniff_scan,
    )

    check_file_name(name)
    if len(data) > SCAN_MAX_BYTES:
        raise Rejection(413, "too_large", f"the file is over the limit of {SCAN_MAX_BYTES} bytes")
    digest = sha256_hex(data)
    if declared_digest is not None and not hmac.compare_digest(declared_digest, digest):
        raise Rejection(
            422,
            "digest_mismatch",
            "the body does not match its Content-Digest: it was changed or cut short on the way",
            "Content-Digest",
        )
    kind = sniff_scan(data)
    if kind is None:
        raise Rejection(
            415,
            "not_a_scan",
            "the file is not a PDF, PNG or JPEG (judged by its first bytes)",
        )
    if not extension_agrees(name, kind[0]):
        raise Rejection(
            415,
            "not_a_scan",
            f"the file is a {SCAN_KIND_NAMES[kind[0]]} but its name ends in "
            f"{_shown_extension(name)}: {_EXTENSION_RULE}",
        )
    return CheckedFile(name, kind[0], data, digest)


_EXTENSION_RULE = "name a PDF .pdf, a PNG .png and a JPEG .jpg or .jpeg"


def _shown_extension(name: str) -> str:
    from fieldtui.domain.submission import name_extension

    ext = name_extension(name)
    return f".{ext}" if ext else "no extension"


def check_scan_extension(name: str) -> None:
    """Before the body is read: a scan's name must end in .pdf, .png, .jpg or .jpeg (415)."""
    from fieldtui.domain.submission import SCAN_EXTENSIONS, name_extension

    if name_extension(name) not in SCAN_EXTENSIONS:
        raise Rejection(
            415,
            "not_a_scan",
            f"a scan is a PDF, PNG or JPEG and its name must say so; this one ends in "
            f"{_shown_extension(name)}: {_EXTENSION_RULE}",
        )


def store_file(
    store: CountyStore,
    batch_id: str,
    checked: CheckedFile,
    *,
    source: str,
    unit: str | None = None,
    token_id: int | None = None,
    received_at: str | None = None,
) -> Accepted:
    """Step 2 (database): the batch must be stored (404) and, for a push, the token's (403);
    then the file and its receipt in one transaction. The same bytes again answer with the
    original receipt; this name with other bytes is refused (422 ``conflicting_file``)."""
    batch = store.find(batch_id)
    if batch is None:
        raise Rejection(404, "not_found", "no batch with this id was received")
    if unit is not None and batch.unit != unit:
        raise Rejection(403, "forbidden", "this batch belongs to another township", "batch_id")
    try:
        receipt, created = store.store_file(
            batch_id,
            checked.name,
            checked.mime,
            checked.data,
            checked.sha256,
            source=source,
            token_id=token_id,
            received_at=received_at or now_iso(),
        )
    except ConflictingFile as exc:
        raise Rejection(422, "conflicting_file", str(exc), "name") from None
    except CountyStoreError as exc:
        raise Rejection(404, "not_found", str(exc)) from None
    return Accepted(receipt, created)
