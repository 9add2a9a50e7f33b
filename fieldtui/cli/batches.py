"""``fieldtui batch seal|attach|list|verify``, ``export``, ``email`` and ``send``."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fieldtui.cli.context import CliError, Context

# Exit codes of ``send``: everything acknowledged (or nothing to send) / some batches still wait
# in the outbox (the county was unreachable or busy) / some were refused (not retried).
SEND_OK, SEND_PENDING, SEND_REFUSED = 0, 3, 4

Handler = Callable[[Context, argparse.Namespace], int | None]


def _lang_errors(fn: Handler) -> Handler:
    """Refusals from the sync layer in the interface language."""

    @functools.wraps(fn)
    def wrapper(ctx: Context, args: argparse.Namespace) -> int | None:
        from fieldtui.sync.errors import SyncError

        try:
            return fn(ctx, args)
        except SyncError as exc:
            raise CliError(exc.text(ctx.lang)) from None

    return wrapper


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    bat = sub.add_parser("batch", parents=[common], help="quarterly batches: seal, attach, list")
    bsub = bat.add_subparsers(dest="batch_cmd", metavar="ACTION", required=True)
    p = bsub.add_parser("seal", parents=[common], help="seal (封存) a period's state")
    p.add_argument("--quarter", required=True, help="the period, e.g. 2023Q2")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_seal)
    p = bsub.add_parser(
        "attach", parents=[common], help="attach the scan of the stamped pages (PDF/JPG/PNG)"
    )
    p.add_argument("period", help="the period, e.g. 2023Q2")
    p.add_argument("file", help="the scan")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_attach)
    p = bsub.add_parser("list", parents=[common], help="the batches and their states")
    p.add_argument("--quarter", help="only this period")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = bsub.add_parser(
        "verify", parents=[common], help="check exported files against their manifest"
    )
    p.add_argument("manifest", help="the *_manifest.json or *_SHA256SUMS.txt of an export")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser("export", parents=[common], help="write the quarter's files for e-mail")
    p.add_argument("--quarter", required=True, help="the period, e.g. 2023Q2")
    p.add_argument("--out", required=True, help="the folder to write into")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("email", parents=[common], help="send the quarter's e-mail by SMTP")
    p.add_argument("--quarter", required=True, help="the period, e.g. 2023Q2")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_email)

    p = sub.add_parser("send", parents=[common], help="push unacknowledged batches to the county")
    p.add_argument("--quarter", help="seal this period first and send only its batches")
    p.add_argument("--deadline", type=float, help="seconds to keep trying each batch (default 120)")
    p.add_argument("--attempts", type=int, help="tries per batch at most (default 8)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_send)


def _state_text(ctx: Context, rec: Any) -> str:
    text = str(rec.state_label(ctx.lang))
    if rec.in_outbox and rec.blocked:
        text += ctx.t("（被拒收）", " (refused)")
    elif rec.in_outbox:
        text += ctx.t("（待发箱）", " (outbox)")
    if rec.superseded_by:
        text += ctx.t(
            f"，已被 {rec.superseded_by[:8]} 取代", f", superseded by {rec.superseded_by[:8]}"
        )
    return text


@_lang_errors
def cmd_seal(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.sync.seal import seal_period

    r = seal_period(ctx.store, ctx.campaign, ctx.settings, args.quarter)
    if args.json:
        ctx.emit_json({"created": r.created, "batch": r.batch.as_dict()})
        return
    b = r.batch
    if r.created:
        sup = (
            ctx.t(f"，取代 {b.supersedes[:8]}", f", supersedes {b.supersedes[:8]}")
            if b.supersedes
            else ""
        )
        ctx.out(
            ctx.t(f"已封存 {b.period}：批次 {b.id}{sup}", f"sealed {b.period}: batch {b.id}{sup}")
        )
    else:
        ctx.out(
            ctx.t(
                f"{b.period} 自上次封存以来没有变化，沿用批次 {b.id}",
                f"{b.period} has not changed since batch {b.id}; keeping it",
            )
        )
    ctx.out(f"SHA-256: {b.digest}")
    ctx.out(
        ctx.t(
            f"服务站 {b.stations} 个，达标 {b.passed} 个，{b.size} 字节",
            f"{b.stations} stations, {b.passed} passed, {b.size} bytes",
        )
    )


@_lang_errors
def cmd_attach(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.sync.attach import attach_scan

    r = attach_scan(ctx.store, ctx.campaign, args.period, Path(args.file))
    if args.json:
        ctx.emit_json(
            {
                "batch_id": r.batch.id,
                "added": r.added,
                "file": {"name": r.file.name, "mime": r.file.mime, "size": r.file.size,
                         "sha256": r.file.sha256},
            }
        )  # fmt: skip
        return
    if r.added:
        ctx.out(ctx.t(f"已附加 {r.file.name} 到批次 {r.batch.id}",
                      f"attached {r.file.name} to batch {r.batch.id}"))  # fmt: skip
    else:
        ctx.out(ctx.t(f"批次 {r.batch.id} 已有相同的文件 {r.file.name}",
                      f"batch {r.batch.id} already has this file ({r.file.name})"))  # fmt: skip


@_lang_errors
def cmd_list(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.sync.seal import require_period

    if args.quarter:
        require_period(ctx.campaign, args.quarter)
    batches = ctx.store.batches.all(ctx.campaign.id, args.quarter)
    if args.json:
        ctx.emit_json({"campaign": ctx.campaign.id, "batches": [b.as_dict() for b in batches]})
        return
    if not batches:
        ctx.out(ctx.t("还没有封存的批次", "no sealed batches yet"))
        return
    for b in batches:
        ctx.out(f"{b.period}  {b.id[:8]}  {b.sealed_at}  {b.stations:>4} {b.passed:>4}  "
                f"{_state_text(ctx, b)}  {b.scan_label(ctx.lang)}")  # fmt: skip
        if b.receipt:
            ctx.out(ctx.t(f"    回执：{b.receipt['received_at']} 县级已接收",
                          f"    receipt: received {b.receipt['received_at']}"))  # fmt: skip
        if b.last_error and not b.acknowledged_at:
            zh, _, en = b.last_error.partition(" / ")
            ctx.out(f"    {ctx.t('最近错误', 'last error')}: {ctx.t(zh, en or zh)}")
        for f in b.files:
            sent = ctx.t("县级已接收", "received") if f.sent else ctx.t("待上报", "not sent")
            ctx.out(f"    {ctx.t('附件', 'file')}: {f.name} ({f.size} B, {sent})")
            if f.last_error and not f.sent:
                zh, _, en = f.last_error.partition(" / ")
                ctx.out(f"      {ctx.t('最近错误', 'last error')}: {ctx.t(zh, en or zh)}")


@_lang_errors
def cmd_verify(ctx: Context, args: argparse.Namespace) -> int:
    from fieldtui.sync.manifest import verify_manifest, verify_sums

    path = Path(args.manifest)
    if not path.is_file():
        raise CliError(ctx.t(f"{path}：文件不存在", f"{path}: no such file"))
    try:
        problems = (
            verify_manifest(path.parent, path)
            if path.suffix.lower() == ".json"
            else verify_sums(path.parent, path)
        )
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        raise CliError(
            ctx.t(f"{path}：无法读取清单（{exc}）", f"{path}: not a manifest ({exc})")
        ) from None
    if args.json:
        ctx.emit_json({"ok": not problems, "problems": [
            {"name": p.name, "problem": p.problem} for p in problems]})  # fmt: skip
    elif problems:
        for p in problems:
            ctx.out(f"{p.name}: {p.problem}")
    else:
        ctx.out(ctx.t("全部文件与清单一致", "every file matches the manifest"))
    return 1 if problems else 0


def _progress(ctx: Context, quiet: bool) -> Callable[[str, int, int], None] | None:
    if quiet:
        return None
    names = {
        "seal": ("封存", "sealing"),
        "statistics": ("附件2 统计表", "statistics table"),
        "score_sheets": ("附件1 评分表", "score sheets"),
        "report": ("验收报告", "report"),
        "manifest": ("校验清单", "manifest"),
        "zip": ("压缩包", "zip"),
        "email": ("邮件", "e-mail"),
        "write": ("写入文件", "writing"),
        "send": ("发送邮件", "sending"),
    }

    def show(step: str, done: int, total: int) -> None:
        zh, en = names.get(step, (step, step))
        print(f"[{done}/{total}] {ctx.t(zh, en)}", file=sys.stderr)

    return show


@_lang_errors
def cmd_export(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.sync.export import export_period

    r = export_period(ctx.store, ctx.campaign, ctx.settings, args.quarter, Path(args.out),
                      progress=_progress(ctx, args.json))  # fmt: skip
    if args.json:
        ctx.emit_json(r.as_dict())
        return
    if r.sealed_now:
        ctx.out(ctx.t(f"已封存新批次 {r.batch.id}", f"sealed a new batch {r.batch.id}"))
    ctx.out(ctx.t(f"已导出到 {r.directory}：", f"exported to {r.directory}:"))
    for p in r.files:
        ctx.out(f"  {p.name}")


@_lang_errors
def cmd_email(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.sync.export import email_period

    r = email_period(ctx.store, ctx.campaign, ctx.settings, args.quarter,
                     progress=_progress(ctx, args.json))  # fmt: skip
    if args.json:
        ctx.emit_json(r.as_dict())
        return
    ctx.out(ctx.t(f"已发送到 {r.to}：{r.subject}（附件 {len(r.attachments)} 个）",
                  f"sent to {r.to}: {r.subject} ({len(r.attachments)} attachments)"))  # fmt: skip


@_lang_errors
def cmd_send(ctx: Context, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from fieldtui.sync.client import FAILED, PENDING, PushConfig, SendProgress, send_pending
    from fieldtui.sync.seal import seal_period

    config = PushConfig()
    if args.deadline is not None:
        if not 0 < args.deadline <= 86400:
            raise CliError("--deadline: must be 0..86400 seconds")
        config = replace(config, deadline=args.deadline,
                         attempt_timeout=min(config.attempt_timeout, args.deadline))  # fmt: skip
    if args.attempts is not None:
        if not 1 <= args.attempts <= 1000:
            raise CliError("--attempts: must be 1..1000")
        config = replace(config, attempts=args.attempts)
    if args.quarter:
        seal_period(ctx.store, ctx.campaign, ctx.settings, args.quarter)

    def show(p: SendProgress) -> None:
        if p.event == "sending":
            line = ctx.t(f"[{p.index}/{p.total}] 上报 {p.period} {p.batch_id[:8]}（第 {p.attempt} 次）",
                         f"[{p.index}/{p.total}] sending {p.period} {p.batch_id[:8]} "
                         f"(try {p.attempt})")  # fmt: skip
        elif p.event == "sending_file":
            line = ctx.t(f"[{p.index}/{p.total}] 上传扫描件 {p.detail}（第 {p.attempt} 次）",
                         f"[{p.index}/{p.total}] uploading scan {p.detail} (try {p.attempt})")  # fmt: skip
        elif p.event == "retrying":
            line = ctx.t(f"    {p.wait:.1f} 秒后重试：{p.text('zh')}",
                         f"    retrying in {p.wait:.1f} s: {p.text('en')}")  # fmt: skip
        else:
            return
        print(line, file=sys.stderr)

    report = send_pending(ctx.store, ctx.campaign.id, ctx.settings, args.quarter, config=config,
                          progress=None if args.json else show)  # fmt: skip
    # Then the county's reviews of what it has acknowledged (never fatal: the send is done).
    from fieldtui.cli.review import fetch_after_send

    reviews = fetch_after_send(ctx, quiet=args.json)
    if args.json:
        ctx.emit_json({**report.as_dict(), "reviews": reviews})
    elif not report.outcomes:
        ctx.out(ctx.t("没有待上报的批次", "nothing to send: every batch is acknowledged"))
    else:
        for o in report.outcomes:
            ctx.out(f"{o.period} {o.batch_id[:8]}: {o.text(ctx.lang)}")
            if o.receipt:
                ctx.out(ctx.t(f"    回执时间 {o.receipt['received_at']}",
                              f"    received {o.receipt['received_at']}"))  # fmt: skip
            for f in o.files:
                ctx.out(f"    {f.name}: {f.text(ctx.lang)}")
    if report.count(FAILED) or report.file_count(FAILED):
        return SEND_REFUSED
    if report.count(PENDING) or report.file_count(PENDING):
        return SEND_PENDING
    return SEND_OK
