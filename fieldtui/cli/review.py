"""``fieldtui review``: the county's verdicts and spot-check results on this township's batches.

``fieldtui review`` fetches them (when the county endpoint and token are set; ``--no-fetch`` shows
what is stored) and shows them; ``fieldtui review import FILE`` takes the county's review file
for townships that use e-mail.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldtui.cli.context import CliError, Context

if TYPE_CHECKING:
    from fieldtui.store.store import Store


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "review", parents=[common], help="the county's verdicts and spot checks on our batches"
    )
    p.add_argument("--quarter", help="only this period")
    p.add_argument("--no-fetch", action="store_true", help="show what is stored, ask nobody")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_review)
    rsub = p.add_subparsers(dest="review_cmd", metavar="ACTION")
    i = rsub.add_parser("import", parents=[common], help="import the county's review file")
    i.add_argument("file")
    i.add_argument("--json", action="store_true")
    i.set_defaults(handler=cmd_import)


def reviews_json(
    store: Store, campaign_id: str, quarter: str | None = None
) -> list[dict[str, Any]]:
    """Every batch with a stored review, newest first, with what to correct."""
    from fieldtui.domain.review import stations_to_correct

    latest = store.reviews.latest_all()
    batches = store.batches.all(campaign_id, quarter)
    newest_of: dict[str, str] = {}
    for b in batches:  # sealed order: the last of a period is its newest
        newest_of[b.period] = b.id
    out = []
    for b in reversed(batches):
        r = latest.get(b.id)
        if r is None:
            continue
        doc = r.doc
        out.append(
            {
                "batch_id": b.id,
                "period": b.period,
                "sealed_at": b.sealed_at,
                "newest": newest_of.get(b.period) == b.id,
                "status": doc["status"],
                "source": r.source,
                "fetched_at": r.fetched_at,
                "verdict": doc["verdict"],
                "spot_checks": doc["spot_checks"],
                "to_correct": stations_to_correct(doc),
            }
        )
    return out


def _fetch(ctx: Context) -> dict[str, Any] | None:
    from fieldtui.sync.errors import SyncError
    from fieldtui.sync.review import fetch_reviews

    if not ctx.settings.get("endpoint"):
        return None
    try:
        report = fetch_reviews(ctx.store, ctx.settings, campaign_id=ctx.campaign.id)
    except SyncError as exc:
        print(f"fieldtui: {exc.text(ctx.lang)}", file=sys.stderr)
        return None
    for r in report.results:
        if r.status is None:
            print(ctx.t(f"无法获取 {r.period} {r.batch_id[:8]} 的审核结果：{r.error_zh}",
                        f"cannot fetch the review of {r.period} {r.batch_id[:8]}: {r.error}"),
                  file=sys.stderr)  # fmt: skip
    return report.as_dict()


def fetch_after_send(ctx: Context, *, quiet: bool) -> dict[str, Any] | None:
    """After ``fieldtui send``: fetch the reviews and say what changed (a line per batch)."""
    from fieldtui.domain.review import verdict_label
    from fieldtui.sync.errors import SyncError
    from fieldtui.sync.review import fetch_reviews

    if not any(b.acknowledged_at for b in ctx.store.batches.all(ctx.campaign.id)):
        return None
    try:
        report = fetch_reviews(ctx.store, ctx.settings, campaign_id=ctx.campaign.id)
    except SyncError as exc:
        if not quiet:
            print(f"fieldtui: {exc.text(ctx.lang)}", file=sys.stderr)
        return None
    if not quiet:
        for r in report.results:
            if r.status is None:
                print(ctx.t(f"无法获取 {r.period} {r.batch_id[:8]} 的审核结果：{r.error_zh}",
                            f"cannot fetch the review of {r.period} {r.batch_id[:8]}: {r.error}"),
                      file=sys.stderr)  # fmt: skip
            elif r.changed and r.status != "pending":
                ctx.out(ctx.t(f"县级审核 {r.period} {r.batch_id[:8]}：{verdict_label(r.status, 'zh')}"
                              "（fieldtui review 查看）",
                              f"county review {r.period} {r.batch_id[:8]}: "
                              f"{verdict_label(r.status, 'en')} (see fieldtui review)"))  # fmt: skip
    return report.as_dict()


def print_reviews(ctx: Context, rows: list[dict[str, Any]]) -> None:
    from fieldtui.domain.review import verdict_label

    t = ctx.t
    if not rows:
        ctx.out(t("还没有县级审核结果", "no review from the county yet"))
        return
    for r in rows:
        head = f"{r['period']} {r['batch_id'][:8]}: {verdict_label(r['status'], ctx.lang)}"
        if not r["newest"]:
            head += t("（已被新批次取代）", " (superseded by a newer batch)")
        ctx.out(head)
        v = r["verdict"]
        if v is not None:
            ctx.out(t(f"  审核人 {v['reviewer']}  {v['decided_at'][:16].replace('T', ' ')}",
                      f"  by {v['reviewer']}  {v['decided_at'][:16].replace('T', ' ')}"))  # fmt: skip
            if v["reason"]:
                ctx.out(t(f"  理由：{v['reason']}", f"  reason: {v['reason']}"))
        for sc in r["spot_checks"]:
            county = sc["county"]
            if county is None:
                ctx.out(
                    t(f"  抽查 {sc['name']}：待县级复核", f"  spot check {sc['name']}: pending")
                )
                continue
            mark = " ⚠" if sc["verdict_changed"] else ""
            items = "、".join(str(d["n"]) for d in sc["differences"]) or "—"
            ctx.out(t(f"  抽查 {sc['name']}：本镇 {sc['township_total']:g} → 县 {county['total']:g}"
                      f"{'达标' if county['passed'] else '未达标'}{mark}（不同项：{items}）",
                      f"  spot check {sc['name']}: ours {sc['township_total']:g} → county "
                      f"{county['total']:g} {'pass' if county['passed'] else 'fail'}{mark} "
                      f"(items differing: {items})"))  # fmt: skip
        if r["newest"] and r["to_correct"]:
            names = "、".join(x["name"] for x in r["to_correct"])
            ctx.out(t(f"  需更正：{names}", f"  to correct: {names}"))
            ctx.out(t("  更正方法：fieldtui assess 服务站 --revises 评分编号 --reason 原因 --from 文件"
                      "（或在评分界面按 R 修订），然后 fieldtui send",
                      "  correct it: fieldtui assess STATION --revises VISIT --reason TEXT --from "
                      "FILE (or R in the scoring screen), then fieldtui send"))  # fmt: skip


def cmd_review(ctx: Context, args: argparse.Namespace) -> None:
    if args.quarter and ctx.campaign.period(args.quarter) is None:
        raise CliError(f"--quarter: no period {args.quarter!r}")
    fetched = None if args.no_fetch else _fetch(ctx)
    rows = reviews_json(ctx.store, ctx.campaign.id, args.quarter)
    if args.json:
        ctx.emit_json({"fetch": fetched, "reviews": rows})
        return
    print_reviews(ctx, rows)


def cmd_import(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.sync.review import import_reviews_file

    got = import_reviews_file(ctx.store, ctx.settings, Path(args.file))
    if args.json:
        ctx.emit_json(got.as_dict())
        return
    t = ctx.t
    sig = (
        t("签名已核对", "signature checked")
        if got.signed
        else t("未签名核对", "not signature-checked")
    )
    ctx.out(t(f"已导入县级审核结果（{got.exported_at[:10]}，{sig}）：新 {len(got.stored)}，"
              f"未变 {len(got.same)}",
              f"imported the county's review ({got.exported_at[:10]}, {sig}): new "
              f"{len(got.stored)}, unchanged {len(got.same)}"))  # fmt: skip
    for bid in got.unknown:
        print(t(f"跳过：本机没有批次 {bid}", f"skipped: no batch {bid} here"), file=sys.stderr)
    print_reviews(
        ctx, [r for r in reviews_json(ctx.store, ctx.campaign.id) if r["batch_id"] in got.stored]
    )
