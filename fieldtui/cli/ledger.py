"""``fieldtui ledger``: list, import and export the stations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldtui.cli.context import CliError, Context

if TYPE_CHECKING:
    from fieldtui.domain.ledger_table import ImportPlan

# Exit codes: 0 written (or nothing to write), 1 the file was refused (problems listed, nothing
# written), 2 any other refusal (bad arguments, the ledger changed meanwhile, export failed).
EXIT_PROBLEMS = 1


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    led = sub.add_parser("ledger", parents=[common], help="the ledger of stations")
    lsub = led.add_subparsers(dest="ledger_cmd", metavar="ACTION", required=True)
    p = lsub.add_parser("list", parents=[common], help="the stations")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="include archived stations")
    p.set_defaults(handler=cmd_list)
    register_io(lsub, common)


def cmd_list(ctx: Context, args: argparse.Namespace) -> None:
    stations = ctx.store.stations.all(include_archived=args.all)
    if args.json:
        ctx.emit_json({"stations": [s.as_dict() for s in stations]})
        return
    for s in stations:
        archived = f"  [{ctx.t('已归档', 'archived')} {s.archived}]" if s.archived else ""
        people = "" if s.people_served is None else s.people_served
        ctx.out(f"{s.id:>4}  {s.name}  {s.head}  {s.contact}  {s.phone}  {people}{archived}")


def register_io(lsub: Any, common: argparse.ArgumentParser) -> None:
    p = lsub.add_parser(
        "import",
        parents=[common],
        help="import stations from a CSV or XLSX ledger (all rows or none)",
    )
    p.add_argument("file", help="the ledger: .xlsx, or .csv in UTF-8, GBK or GB18030")
    p.add_argument("--dry-run", action="store_true", help="only show what would change")
    p.add_argument("--json", action="store_true", help="one JSON object (see docs/cli.md)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before updating stations")
    p.add_argument("--sheet", help="the worksheet to read (default: the first with a header)")
    p.set_defaults(handler=cmd_import)
    p = lsub.add_parser("export", parents=[common], help="write the ledger to FILE.csv or .xlsx")
    p.add_argument("file", help="FILE.csv (UTF-8 with BOM) or FILE.xlsx")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_export)


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    from fieldtui.store.ledger_io import LedgerRefusal, apply_import, plan_import

    path = Path(args.file).expanduser()
    plan = plan_import(path, ctx.store, ctx.campaign, args.sheet)
    will_write = plan.ok and plan.has_changes and not args.dry_run
    if not args.json:
        for line in plan.report(ctx.lang):
            ctx.out(line)
    if will_write and plan.updates and not (args.yes or args.json) and sys.stdin.isatty():
        try:
            answer = input(ctx.t("确认写入台账？[y/N] ", "Write these changes? [y/N] "))
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes", "是"):
            ctx.out(ctx.t("已取消，未写入。", "Cancelled; nothing written."))
            return 0
    added = updated = 0
    if will_write:
        try:
            added, updated = apply_import(ctx.store, plan)
        except LedgerRefusal as exc:
            raise CliError(exc.message(ctx.lang)) from None
    if args.json:
        ctx.emit_json(plan_json(plan, ctx.lang, dry_run=args.dry_run, written=will_write))
    elif will_write:
        ctx.out(
            ctx.t(
                f"已写入：新增{added}个，更新{updated}个。",
                f"Written: {added} added, {updated} updated.",
            )
        )
    elif plan.ok and args.dry_run:
        ctx.out(ctx.t("预览（--dry-run），未写入。", "Dry run: nothing written."))
    elif plan.ok:
        ctx.out(ctx.t("没有需要写入的变化。", "Nothing to write."))
    if not plan.ok:
        print(
            "fieldtui: "
            + ctx.t(
                f"导入被拒绝：{path.name} 有{len(plan.problems)}个问题，未写入任何数据",
                f"import refused: {len(plan.problems)} problem(s) in {path.name}, nothing written",
            ),
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    return 0


def plan_json(plan: ImportPlan, lang: str, *, dry_run: bool, written: bool) -> dict[str, Any]:
    """The import's one JSON object (documented in docs/cli.md)."""
    from fieldtui.domain.ledger_table import SKIP_REASONS

    def station(r: Any) -> dict[str, Any]:
        d: dict[str, Any] = {"row": r.row, "name": r.data.name}
        if r.station_id is not None:
            d["id"] = r.station_id
        return d

    return {
        "file": plan.source,
        "format": plan.kind or None,
        "encoding": plan.encoding or None,
        "sheet": plan.sheet or None,
        "header_row": plan.header_row,
        "columns": [{"column": c.header, "field": c.field} for c in plan.used_columns],
        "ignored_columns": list(plan.ignored_columns),
        "ok": plan.ok,
        "dry_run": dry_run,
        "written": written,
        "added": [station(r) for r in plan.adds],
        "updated": [
            {
                **station(r),
                "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in r.changes],
            }
            for r in plan.updates
        ],
        "unchanged": [station(r) for r in plan.unchanged],
        "archived": [
            {**station(r), "archived": r.archived.isoformat() if r.archived else None}
            for r in plan.archived
        ],
        "skipped_rows": [
            {
                "row": s.row,
                "reason": s.reason,
                "message": SKIP_REASONS.get(s.reason, (s.reason, s.reason))[
                    1 if lang == "en" else 0
                ],
                "text": s.text,
            }
            for s in plan.skipped
        ],
        "not_in_file": plan.not_in_file,
        "notes": [en if lang == "en" else zh for zh, en in plan.notes],
        "problems": [
            {
                "row": p.row,
                "column": p.column or None,
                "field": p.field or None,
                "message": p.message(lang),
                "message_zh": p.message_zh,
                "message_en": p.message_en,
            }
            for p in plan.problems
        ],
    }


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    from fieldtui.store.ledger_io import LedgerRefusal, export_ledger

    path = Path(args.file).expanduser()
    try:
        count = export_ledger(ctx.store, path)
    except LedgerRefusal as exc:
        raise CliError(exc.message(ctx.lang)) from None
    if args.json:
        ctx.emit_json(
            {"file": str(path), "format": path.suffix.lower().lstrip("."), "stations": count}
        )
    else:
        ctx.out(ctx.t(f"已导出{count}个服务站到 {path}", f"Exported {count} station(s) to {path}"))
    return 0
