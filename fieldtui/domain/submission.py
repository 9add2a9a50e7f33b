"""A sealed batch as the township keeps it: its sending state, its receipt, its attached files.

The wire format itself is :mod:`fieldtui.domain.batch`; this is the bookkeeping around it. A batch
moves through sealed -> exported -> e-mailed -> sent -> acknowledged; each step has a timestamp
and the furthest one reached is its state. A batch waiting for the county's receipt is in the
outbox until a receipt arrives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fieldtui.domain.rubric import CHINA_TZ, Period

SEALED = "sealed"
EXPORTED = "exported"
EMAILED = "emailed"
SENT = "sent"
ACKNOWLEDGED = "acknowledged"
STATES = (SEALED, EXPORTED, EMAILED, SENT, ACKNOWLEDGED)
STATE_LABELS: dict[str, tuple[str, str]] = {
    SEALED: ("已封存", "sealed"),
    EXPORTED: ("已导出", "exported"),
    EMAILED: ("已发邮件", "e-mailed"),
    SENT: ("已上报", "sent"),
    ACKNOWLEDGED: ("县级已接收", "acknowledged"),
}

SCAN_LABELS: dict[str, tuple[str, str]] = {
    "none": ("未附扫描件", "no scan"),
    "unsent": ("扫描件待上报", "scan not sent"),
    "received": ("扫描件县级已接收", "scan received"),
}

# What a stamped scan may be, recognised by its first bytes (never by its name).
SCAN_MAX_BYTES = 20 * 1024 * 1024
SCAN_TYPES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def sniff_scan(data: bytes) -> tuple[str, str] | None:
    """The (MIME type, extension) of a PDF, PNG or JPEG by its magic bytes, else None."""
    for magic, mime, ext in SCAN_TYPES:
        if data.startswith(magic):
            return mime, ext
    return None


# The extensions a scan's name may end in, and the type each promises. The name must agree with
# the content: a PDF called scan.bat (or a PNG called page.svg) is refused, so no file is ever
# opened by a program the name chooses for content it does not hold.
SCAN_EXTENSIONS: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
SCAN_KIND_NAMES: dict[str, str] = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
}


def name_extension(name: str) -> str:
    """The extension of a file name, lower-cased, without its dot ("" when it has none)."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def extension_agrees(name: str, mime: str) -> bool:
    """Whether ``name`` ends in an extension of the scan type ``mime`` (case-insensitively)."""
    return SCAN_EXTENSIONS.get(name_extension(name)) == mime


@dataclass(frozen=True, slots=True)
class BatchFile:
    """A file attached to a batch (the scan of the stamped pages), without its bytes."""

    id: int
    batch_id: str
    name: str
    kind: str
    mime: str
    size: int
    sha256: str
    added_at: str
    acknowledged_at: str | None = None  # the county's receipt for this file arrived
    last_error: str | None = None  # "zh / en" of the last failed upload

    @property
    def sent(self) -> bool:
        return self.acknowledged_at is not None


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A sealed batch as stored: its digest, its period, and where it has been sent."""

    id: str
    campaign_id: str
    period: str
    unit: str
    content_hash: str
    digest: str
    size: int
    sealed_at: str
    supersedes: str | None
    stations: int
    passed: int
    exported_at: str | None = None
    export_dir: str | None = None
    emailed_at: str | None = None
    queued_at: str | None = None
    sent_at: str | None = None
    acknowledged_at: str | None = None
    receipt: dict[str, Any] | None = None
    attempts: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    blocked: bool = False
    superseded_by: str | None = None
    files: tuple[BatchFile, ...] = field(default=())

    @property
    def short_id(self) -> str:
        return self.id[:8]

    @property
    def state(self) -> str:
        if self.acknowledged_at:
            return ACKNOWLEDGED
        if self.sent_at:
            return SENT
        if self.emailed_at:
            return EMAILED
        if self.exported_at:
            return EXPORTED
        return SEALED

    def state_label(self, lang: str) -> str:
        zh, en = STATE_LABELS[self.state]
        return en if lang == "en" else zh

    @property
    def unsent_files(self) -> tuple[BatchFile, ...]:
        """Attached files the county has not acknowledged yet."""
        return tuple(f for f in self.files if not f.sent)

    @property
    def in_outbox(self) -> bool:
        """Queued for the county and not yet acknowledged, or acknowledged with scans the
        county has not received yet."""
        if self.queued_at is None:
            return False
        return self.acknowledged_at is None or bool(self.unsent_files)

    @property
    def scan_state(self) -> str:
        """ "none" (no scan attached), "unsent" (some not at the county yet) or "received"."""
        if not self.files:
            return "none"
        return "unsent" if self.unsent_files else "received"

    def scan_label(self, lang: str) -> str:
        zh, en = SCAN_LABELS[self.scan_state]
        return en if lang == "en" else zh

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.id,
            "campaign_id": self.campaign_id,
            "period": self.period,
            "unit": self.unit,
            "state": self.state,
            "sealed_at": self.sealed_at,
            "digest": self.digest,
            "content_hash": self.content_hash,
            "size": self.size,
            "supersedes": self.supersedes,
            "superseded_by": self.superseded_by,
            "stations": self.stations,
            "passed": self.passed,
            "exported_at": self.exported_at,
            "export_dir": self.export_dir,
            "emailed_at": self.emailed_at,
            "queued_at": self.queued_at,
            "sent_at": self.sent_at,
            "acknowledged_at": self.acknowledged_at,
            "in_outbox": self.in_outbox,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "blocked": self.blocked,
            "receipt": self.receipt,
            "scan_state": self.scan_state,
            "files": [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "mime": f.mime,
                    "size": f.size,
                    "sha256": f.sha256,
                    "added_at": f.added_at,
                    "acknowledged_at": f.acknowledged_at,
                    "last_error": f.last_error,
                }
                for f in self.files
            ],
        }


def due_text(period: Period, today: dt.date, lang: str) -> str:
    """'还剩 12 天' / 'due in 12 days', 'today', or 'overdue by N days'."""
    days = (period.due.astimezone(CHINA_TZ).date() - today).days
    if days > 0:
        return f"{days} days left" if lang == "en" else f"还剩{days}天"
    if days == 0:
        return "due today" if lang == "en" else "今天截止"
    return f"{-days} days overdue" if lang == "en" else f"已逾期{-days}天"
