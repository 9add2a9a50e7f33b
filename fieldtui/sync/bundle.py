"""The quarter's material, built in memory from one sealed batch: the files for e-mail.

``build_bundle`` makes, with safe and distinct names: the 附件2 statistics table and the filled
附件1 score sheets (XLSX), the acceptance report draft (DOCX), the batch JSON (the sealed bytes
unchanged), the attached scans, ``SHA256SUMS.txt`` and a JSON manifest, a zip of all of them, and
the e-mail (an ``EmailMessage`` to the campaign's mailbox with the files attached, which is saved
as an ``.eml`` draft or sent by SMTP). Nothing here touches the disk or the network.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from fieldtui.domain.batch import parse_batch
from fieldtui.domain.filenames import NameAllocator, safe_stem, split_name
from fieldtui.domain.report import report_data, statistics_rows
from fieldtui.domain.rubric import CHINA_TZ, Campaign
from fieldtui.domain.submission import BatchFile
from fieldtui.i18n import percent
from fieldtui.sync.manifest import Entry, entry, manifest_json, sha256sums
from fieldtui.sync.xlsxml import zip_parts

Progress = Callable[[str, int, int], None]

MIME = {
    "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "json": ("application", "json"),
    "txt": ("text", "plain"),
    "pdf": ("application", "pdf"),
    "png": ("image", "png"),
    "jpg": ("image", "jpeg"),
    "zip": ("application", "zip"),
    "eml": ("message", "rfc822"),
}
ROLE_LABELS = {
    "statistics": "附件2 验收情况统计表",
    "score_sheets": "附件1 验收评分表（逐站）",
    "report": "验收报告（草稿）",
    "batch": "封存批次数据（JSON）",
    "scan": "盖章页扫描件",
    "checksums": "SHA-256 校验清单",
    "manifest": "文件清单（JSON）",
}
STEPS = 7
ZIP_SUMS = "SHA256SUMS.txt"
ZIP_MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class Sender:
    """Who the message is from: settings ``smtp.from`` (or ``smtp.user``), officer and phone."""

    address: str = ""
    officer: str = ""
    phone: str = ""


@dataclass
class Bundle:
    payload: dict[str, Any]
    digest: str
    prefix: str
    subject: str
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # (name, role, data)
    entries: list[Entry] = field(default_factory=list)
    sums_name: str = ""
    sums: bytes = b""
    manifest_name: str = ""
    manifest: bytes = b""
    zip_name: str = ""
    zip: bytes = b""
    eml_name: str = ""
    message: EmailMessage | None = None

    def attachments(self) -> list[tuple[str, bytes]]:
        """What the e-mail carries: every file and the checksum list (the zip would double it)."""
        return [(n, d) for n, _, d in self.files] + [(self.sums_name, self.sums)]

    def all_files(self) -> list[tuple[str, bytes]]:
        """Everything written to the export folder, the manifest and zip after the files."""
        eml = self.eml_bytes()
        return [
            *[(n, d) for n, _, d in self.files],
            (self.sums_name, self.sums),
            (self.manifest_name, self.manifest),
            (self.zip_name, self.zip),
            (self.eml_name, eml),
        ]

    def eml_bytes(self) -> bytes:
        assert self.message is not None
        return self.message.as_bytes(policy=email.policy.SMTP)


def _ext(name: str) -> str:
    return split_name(name)[1].lower()


def subject_for(payload: dict[str, Any], campaign: Campaign) -> str:
    period = campaign.period(payload["period"]["label"])
    name = period.name if period else payload["period"]["label"]
    year = payload["period"]["last"][:4]
    return f"{payload['unit']}{year}年{name}村（社区）退役军人服务站规范建设验收材料"


def build_bundle(
    body: bytes,
    digest: str,
    campaign: Campaign,
    scans: Sequence[tuple[BatchFile, bytes]] = (),
    sender: Sender | None = None,
    *,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> Bundle:
    """Every file of the quarter's material, from the sealed bytes ``body`` (SHA-256 ``digest``)."""
    from fieldtui.sync import report_docx, tables_xlsx

    step = progress or (lambda _s, _d, _t: None)
    sender = sender or Sender()
    payload = parse_batch(body)
    label = payload["period"]["label"]
    prefix = f"{safe_stem(payload['unit'], max_bytes=60, fallback='unit')}_{label}"
    names = NameAllocator(max_bytes=150)
    b = Bundle(
        payload=payload, digest=digest, prefix=prefix, subject=subject_for(payload, campaign)
    )

    step("statistics", 1, STEPS)
    rows = statistics_rows(payload)
    b.files.append((names.take(f"{prefix}_附件2_验收情况统计表", "xlsx"), "statistics",
                    tables_xlsx.statistics_table(payload, rows)))  # fmt: skip
    step("score_sheets", 2, STEPS)
    sheets, _titles = tables_xlsx.score_sheets(payload, campaign)
    b.files.append((names.take(f"{prefix}_附件1_验收评分表", "xlsx"), "score_sheets", sheets))
    step("report", 3, STEPS)
    data = report_data(payload, campaign)
    b.files.append((names.take(f"{prefix}_验收报告（草稿）", "docx"), "report",
                    report_docx.acceptance_report(data, campaign)))  # fmt: skip
    b.files.append((names.take(f"{prefix}_封存批次", "json"), "batch", body))
    for f, blob in scans:
        stem, _ = split_name(f.name)
        b.files.append(
            (names.take(f"{prefix}_盖章扫描件_{safe_stem(stem, max_bytes=40)}", _ext(f.name)),
             "scan", blob)
        )  # fmt: skip

    step("manifest", 4, STEPS)
    b.entries = [entry(n, role, d) for n, role, d in b.files]
    b.sums_name = names.take(f"{prefix}_SHA256SUMS", "txt")
    b.sums = sha256sums(b.entries)
    b.manifest_name = names.take(f"{prefix}_manifest", "json")
    b.manifest = manifest_json(payload, digest, b.entries)
    step("zip", 5, STEPS)
    sealed = dt.datetime.fromisoformat(payload["sealed_at"]).astimezone(CHINA_TZ)
    b.zip_name = names.take(f"{prefix}_报送材料", "zip")
    # Inside the zip (one period per zip) the checksum lists carry the plain names the county's
    # importer looks for, so `county import` verifies them before it takes the batch in.
    b.zip = zip_parts(
        [*[(n, d) for n, _, d in b.files], (ZIP_SUMS, b.sums), (ZIP_MANIFEST, b.manifest)],
        sealed,
    )
    step("email", 6, STEPS)
    b.eml_name = names.take(f"{prefix}_报送邮件", "eml")
    b.message = build_message(b, campaign, sender, data_rate=(data.rate, data.target), now=now)
    return b


def build_message(
    b: Bundle,
    campaign: Campaign,
    sender: Sender,
    *,
    data_rate: tuple[float | None, float],
    now: dt.datetime | None = None,
) -> EmailMessage:
    """The e-mail to the campaign's mailbox with every file attached (RFC 2047/2231 names)."""
    p = b.payload
    prog = p["progress"]
    rate, target = data_rate
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = b.subject
    if sender.address:
        msg["From"] = sender.address
    msg["To"] = campaign.mailbox
    when = now or dt.datetime.now(CHINA_TZ)
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = email.utils.make_msgid(domain="fieldtui.invalid")
    # Opens as an unsent draft in Outlook; other clients ignore it.
    msg["X-Unsent"] = "1"
    listing = "\n".join(
        f"  {i}. {name}（{ROLE_LABELS.get(role, role)}）"
        for i, (name, role, _d) in enumerate(b.files, start=1)
    )
    sign = "  ".join(x for x in (p["unit"], sender.officer, sender.phone) if x)
    text = (
        f"{campaign.recipient}：\n\n"
        f"  现报送{b.subject}（{p['period']['first']}至{p['period']['last']}），请查收。\n"
        f"  台账内服务站{prog['stations']}个，已验收{prog['assessed']}个，达标{prog['passed']}个，"
        f"达标率{percent(rate)}（本季度目标{percent(target)}）。\n\n"
        f"  附件：\n{listing}\n"
        f"  {len(b.files) + 1}. {b.sums_name}（{ROLE_LABELS['checksums']}）\n\n"
        f"  封存批次：{p['batch_id']}\n  封存时间：{p['sealed_at']}\n  SHA-256：{b.digest}\n\n"
        f"{sign}\n"
    )
    msg.set_content(text, charset="utf-8")
    for name, data in b.attachments():
        maintype, subtype = MIME.get(_ext(name), ("application", "octet-stream"))
        params = {"charset": "utf-8"} if maintype == "text" else None
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name, params=params)
    return msg
