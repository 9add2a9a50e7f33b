"""``fieldtui export`` and ``fieldtui email``: the quarter's material for e-mail, from one batch.

Both seal the period first when it is not sealed or has changed, then build the same bundle from
the sealed bytes (:mod:`fieldtui.sync.bundle`). ``export_period`` writes it to a folder atomically;
``email_period`` sends the same message by SMTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fieldtui.domain.rubric import Campaign
from fieldtui.domain.submission import BatchFile, BatchRecord
from fieldtui.settings import Settings
from fieldtui.store.store import Store
from fieldtui.sync.bundle import STEPS, Bundle, Progress, Sender, build_bundle
from fieldtui.sync.files import write_all
from fieldtui.sync.manifest import Entry
from fieldtui.sync.seal import seal_period


@dataclass(frozen=True, slots=True)
class ExportResult:
    batch: BatchRecord
    sealed_now: bool
    directory: Path
    files: list[Path]  # every file written, in order
    entries: list[Entry]  # the material's files with their SHA-256 (as in the manifest)
    zip: Path
    eml: Path
    manifest: Path
    sums: Path

    def as_dict(self) -> dict[str, object]:
        return {
            "batch_id": self.batch.id,
            "period": self.batch.period,
            "sealed_now": self.sealed_now,
            "directory": str(self.directory),
            "files": [
                {"name": e.name, "role": e.role, "size": e.size, "sha256": e.sha256}
                for e in self.entries
            ],
            "zip": self.zip.name,
            "eml": self.eml.name,
            "manifest": self.manifest.name,
            "sha256sums": self.sums.name,
        }


def sender_of(settings: Settings) -> Sender:
    return Sender(
        address=str(settings.get("smtp.from") or settings.get("smtp.user") or ""),
        officer=str(settings.get("officer") or ""),
        phone=str(settings.get("phone") or ""),
    )


def _scans(store: Store, batch: BatchRecord) -> list[tuple[BatchFile, bytes]]:
    return [(f, store.batches.file_data(f.id)) for f in batch.files if f.kind == "scan"]


def bundle_for(
    store: Store,
    campaign: Campaign,
    settings: Settings,
    label: str,
    *,
    progress: Progress | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> tuple[BatchRecord, bool, Bundle]:
    """Seal ``label`` if needed and build its bundle. Returns (batch, sealed_now, bundle)."""
    step = progress or (lambda _s, _d, _t: None)
    step("seal", 0, STEPS)
    sealed = seal_period(store, campaign, settings, label, now=now)
    batch = sealed.batch
    body = store.batches.body(batch.id)
    bundle = build_bundle(
        body,
        batch.digest,
        campaign,
        _scans(store, batch),
        sender_of(settings),
        progress=progress,
        now=now() if now else None,
    )
    return batch, sealed.created, bundle


def export_period(
    store: Store,
    campaign: Campaign,
    settings: Settings,
    label: str,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> ExportResult:
    """Seal if needed, then write the material into ``out_dir`` (each file atomically)."""
    batch, created, b = bundle_for(store, campaign, settings, label, progress=progress, now=now)
    if progress:
        progress("write", STEPS, STEPS)
    out_dir = out_dir.expanduser().resolve()
    written = write_all(out_dir, b.all_files())
    store.batches.mark_exported(batch.id, str(out_dir))
    return ExportResult(
        batch=store.batches.require(batch.id),
        sealed_now=created,
        directory=out_dir,
        files=written,
        entries=list(b.entries),
        zip=out_dir / b.zip_name,
        eml=out_dir / b.eml_name,
        manifest=out_dir / b.manifest_name,
        sums=out_dir / b.sums_name,
    )


@dataclass(frozen=True, slots=True)
class EmailResult:
    batch: BatchRecord
    sealed_now: bool
    to: str
    subject: str
    attachments: list[str]
    size: int

    def as_dict(self) -> dict[str, object]:
        return {
            "batch_id": self.batch.id,
            "period": self.batch.period,
            "sealed_now": self.sealed_now,
            "to": self.to,
            "subject": self.subject,
            "attachments": self.attachments,
            "size": self.size,
        }


def email_period(
    store: Store,
    campaign: Campaign,
    settings: Settings,
    label: str,
    *,
    progress: Progress | None = None,
    now: Callable[[], dt.datetime] | None = None,
    timeout: float = 60.0,
) -> EmailResult:
    """Seal if needed, build the message and send it by SMTP to the campaign's mailbox."""
    from fieldtui.sync.mail import send_message, smtp_config

    config = smtp_config(settings)  # refuse a bad SMTP setup before sealing anything
    batch, created, b = bundle_for(store, campaign, settings, label, progress=progress, now=now)
    assert b.message is not None
    if progress:
        progress("send", STEPS, STEPS)
    data = b.eml_bytes()
    send_message(b.message, config, timeout=timeout)
    store.batches.mark_emailed(batch.id)
    return EmailResult(
        batch=store.batches.require(batch.id),
        sealed_now=created,
        to=campaign.mailbox,
        subject=b.subject,
        attachments=[n for n, _ in b.attachments()],
        size=len(data),
    )
