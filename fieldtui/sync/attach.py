"""``batch attach``: the scan of the stamped pages, kept in the database with its batch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fieldtui.domain.filenames import NameAllocator, split_name
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.submission import (
    SCAN_KIND_NAMES,
    SCAN_MAX_BYTES,
    BatchFile,
    BatchRecord,
    extension_agrees,
    name_extension,
    sniff_scan,
)
from fieldtui.store.store import Store
from fieldtui.sync.errors import SyncError
from fieldtui.sync.seal import require_period


@dataclass(frozen=True, slots=True)
class AttachResult:
    batch: BatchRecord
    file: BatchFile
    added: bool  # False: these exact bytes were already attached


def read_scan(path: Path) -> tuple[bytes, str, str]:
    """The bytes, MIME type and extension of a PDF/JPEG/PNG scan, checked by magic bytes; the
    file's own extension must agree with them (any case: scanners write SCAN0001.PDF)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(SCAN_MAX_BYTES + 1)
    except IsADirectoryError:
        raise SyncError(f"{path}：是文件夹，不是文件", f"{path}: is a folder, not a file") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SyncError(
            f"{path}：无法读取（{reason}）", f"{path}: cannot read ({reason})"
        ) from None
    limit_mb = SCAN_MAX_BYTES // (1024 * 1024)
    if len(data) > SCAN_MAX_BYTES:
        raise SyncError(
            f"{path}：文件超过 {limit_mb} MB，请降低扫描分辨率后重试",
            f"{path}: larger than {limit_mb} MB; scan at a lower resolution",
        )
    if not data:
        raise SyncError(f"{path}：文件为空", f"{path}: the file is empty")
    kind = sniff_scan(data)
    if kind is None:
        raise SyncError(
            f"{path}：不是 PDF、JPG 或 PNG 文件（按文件内容判断）",
            f"{path}: not a PDF, JPEG or PNG file (judged by its content)",
        )
    mime, ext = kind
    if not extension_agrees(path.name, mime):
        # The county refuses a scan whose name and content disagree (a PDF called scan.bat
        # would open in whatever program the name picks): say so now, not after a send.
        kind_name = SCAN_KIND_NAMES[mime]
        got = name_extension(path.name)
        shown = f".{got}" if got else "没有扩展名"
        shown_en = f".{got}" if got else "no extension"
        raise SyncError(
            f"{path}：内容是 {kind_name} 文件，但扩展名是 {shown}，与内容不符；请确认选对了文件"
            "（PDF 用 .pdf，PNG 用 .png，JPEG 用 .jpg 或 .jpeg）",
            f"{path}: the content is a {kind_name} but the name ends in {shown_en}: check that "
            "this is the right file (a PDF is named .pdf, a PNG .png, a JPEG .jpg or .jpeg)",
        )
    return data, mime, ext


def attach_scan(store: Store, campaign: Campaign, label: str, path: Path) -> AttachResult:
    """Attach ``path`` to the period's newest batch (seal or export the period first)."""
    period = require_period(campaign, label)
    data, mime, ext = read_scan(path)
    batch = store.batches.latest(campaign.id, period.label)
    if batch is None:
        raise SyncError(
            f"{period.label} 还没有封存的批次：请先封存或导出，盖章扫描后再附加",
            f"{period.label} has no sealed batch yet: seal or export it, stamp and scan the "
            "pages, then attach the scan",
        )
    stem, _ = split_name(path.name)
    # One name per file of a batch (the county keeps a batch's files by name): a second,
    # different scan called like the first becomes "scan_2.pdf". The same bytes again keep
    # their first name (add_file finds them by SHA-256).
    taken = tuple(f.name for f in batch.files)
    name = NameAllocator(max_bytes=80, reserved=taken).take(stem, ext, fallback="scan")
    f, added = store.batches.add_file(batch.id, name, "scan", mime, data)
    return AttachResult(store.batches.require(batch.id), f, added)
