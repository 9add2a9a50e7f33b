"""Core commands: the app, locate, config, rubric, plan, progress, demo, keys."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fieldtui.cli.context import CliError, Context
from fieldtui.i18n import percent


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("locate", parents=[common], help="where settings and data live")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_locate)

    cfg = sub.add_parser("config", parents=[common], help="settings in settings.toml")
    csub = cfg.add_subparsers(dest="config_cmd", metavar="ACTION", required=True)
    p = csub.add_parser("list", parents=[common], help="every setting and its value")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_config_list)
    p = csub.add_parser("get", parents=[common], help="one setting")
    p.add_argument("key")
    p.set_defaults(handler=cmd_config_get)
    p = csub.add_parser(
        "set", parents=[common], help="set a setting ('-' reads the value from stdin)"
    )
    p.add_argument("key")
    p.add_argument("value")
    p.set_defaults(handler=cmd_config_set)
    p = csub.add_parser("unset", parents=[common], help="back to the default")
    p.add_argument("key")
    p.set_defaults(handler=cmd_config_unset)

    p = sub.add_parser("rubric", parents=[common], help="the active campaign's rubric")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_rubric)

    plan = sub.add_parser("plan", parents=[common], help="the monthly plan")
    psub = plan.add_subparsers(dest="plan_cmd", metavar="ACTION", required=True)
    p = psub.add_parser("set", parents=[common], help="plan a station for a month")
    p.add_argument("station")
    p.add_argument("month", help="YYYY-MM, or 'none' to unplan")
    p.set_defaults(handler=cmd_plan_set)
    p = psub.add_parser("show", parents=[common], help="the plan and the planned share per period")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_plan_show)

    p = sub.add_parser("progress", parents=[common], help="compliance rate per period")
    p.add_argument("--quarter", help="one period, e.g. 2023Q2")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_progress)

    p = sub.add_parser("demo", parents=[common], help="fill an empty database with a demo township")
    p.add_argument("--stations", type=int, default=24)
    p.add_argument("--seed", type=int, default=2023)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("keys", parents=[common], help="the key actions and their keys")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_keys)


def cmd_locate(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.paths import campaign_dirs
    from fieldtui.settings import SETTINGS_NAME
    from fieldtui.store.backup import backup_dir
    from fieldtui.store.db import DB_NAME
    from fieldtui.store.location import storage_warning

    info: dict[str, Any] = {
        "home": str(ctx.home),
        "settings": str(ctx.home / SETTINGS_NAME),
        "database": str(ctx.home / DB_NAME),
        "backups": str(backup_dir(ctx.home / DB_NAME)),
        "campaigns": [str(d) for d in campaign_dirs(ctx.home)],
        "storage_warning": storage_warning(ctx.home / DB_NAME),
    }
    if args.json:
        ctx.emit_json(info)
        return
    labels = {
        "home": ctx.t("主目录", "home"),
        "settings": ctx.t("设置", "settings"),
        "database": ctx.t("数据库", "database"),
        "backups": ctx.t("备份", "backups"),
        "campaigns": ctx.t("验收方案", "campaigns"),
    }
    warning = info.pop("storage_warning")
    for key, value in info.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        ctx.out(f"{labels[key]}: {shown}")
    if warning:
        ctx.out(storage_message(ctx, warning))


def storage_message(ctx: Context, warning: str) -> str:
    kind = warning.split(":", 1)[0]
    where = warning.rsplit(":", 1)[-1]
    if kind == "network":
        return ctx.t(
            f"警告：数据库位于网络共享（{where}），断网会损坏数据；请放在本机硬盘，用 fieldtui backup 复制到共享",
            f"warning: the database is on a network share ({where}); keep it on a local disk "
            "and use `fieldtui backup` to copy it there",
        )
    return ctx.t(
        f"警告：数据库位于U盘等可移动存储（{where}），拔出会损坏数据；请放在本机硬盘，用 fieldtui backup 复制到U盘",
        f"warning: the database is on removable storage ({where}); keep it on a local disk "
        "and use `fieldtui backup` to copy it there",
    )


def cmd_config_list(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.settings import SCHEMA

    s = ctx.settings
    if args.json:
        values: dict[str, Any] = {}
        for key, spec in SCHEMA.items():
            values[key] = s.display(key) if spec.secret else s.get(key)
        ctx.emit_json({"settings": values, "keymap": s.keymap(), "path": str(s.path)})
        return
    for key, spec in SCHEMA.items():
        label = spec.en if ctx.lang == "en" else spec.zh
        ctx.out(f"{key} = {s.display(key)}    # {label}")
    for action, keys in sorted(s.keymap().items()):
        ctx.out(f"keymap.{action} = {keys}")


def cmd_config_get(ctx: Context, args: argparse.Namespace) -> None:
    ctx.out(ctx.settings.display(args.key))


def cmd_config_set(ctx: Context, args: argparse.Namespace) -> None:
    value: Any = args.value
    if value == "-":
        value = sys.stdin.readline().rstrip("\r\n")
    if args.key == "campaign" and value:
        from fieldtui.campaigns import load_all

        known = load_all(ctx.home)
        if value not in known:
            raise CliError(f"campaign: no campaign {value!r} (known: {', '.join(sorted(known))})")
    s = ctx.settings
    s.set(args.key, value)
    s.save()
    ctx.out(ctx.t(f"已保存 {args.key}", f"saved {args.key}"))


def cmd_config_unset(ctx: Context, args: argparse.Namespace) -> None:
    s = ctx.settings
    s.unset(args.key)
    s.save()
    ctx.out(ctx.t(f"已恢复默认 {args.key}", f"reset {args.key}"))


def rubric_dict(ctx: Context) -> dict[str, Any]:
    c = ctx.campaign
    return {
        "campaign": c.id,
        "rubric_hash": c.rubric_hash,
        "doc_number": c.doc_number,
        "title": c.title,
        "title_en": c.title_en,
        "total": c.total,
        "pass_mark": c.pass_mark,
        "partial_scores": c.partial_scores,
        "score_step": c.score_step,
        "bonus_cap": c.bonus_cap,
        "mailbox": c.mailbox,
        "categories": [
            {
                "number": cat.number,
                "numeral": cat.numeral,
                "name": cat.name,
                "name_en": cat.name_en,
                "subtotal": cat.subtotal,
                "items": list(cat.items),
            }
            for cat in c.categories
        ],
        "items": [
            {
                "number": it.number,
                "category": it.category,
                "text": it.text,
                "text_en": it.text_en,
                "max": it.max,
                "allowed": list(c.allowed_scores(it.number)),
            }
            for it in c.items
        ],
        "bonus": [
            {
                "number": b.number,
                "max": b.max,
                "text": b.text,
                "text_en": b.text_en,
                "levels": [
                    {"key": lv.key, "name": lv.name, "name_en": lv.name_en, "points": lv.points}
                    for lv in b.levels
                ],
                "allowed": list(b.allowed_points()),
            }
            for b in c.bonus
        ],
        "veto": {
            "number": c.veto_number,
            "conditions": [
                {"number": v.number, "text": v.text, "text_en": v.text_en}
                for v in c.veto_conditions
            ],
        },
        "periods": [
            {
                "label": p.label,
                "first": p.first.isoformat(),
                "last": p.last.isoformat(),
                "due": p.due.isoformat(),
                "target": p.target,
            }
            for p in c.periods
        ],
    }


def cmd_rubric(ctx: Context, args: argparse.Namespace) -> None:
    if args.json:
        ctx.emit_json(rubric_dict(ctx))
        return
    c = ctx.campaign
    lang = ctx.lang
    ctx.out(f"{c.doc_number}  {c.title_for(lang)}")
    ctx.out(
        f"{ctx.t('方案', 'campaign')}: {c.id}  {ctx.t('结构哈希', 'rubric hash')}: {c.rubric_hash[:16]}"
    )
    for cat in c.categories:
        number = f"{cat.number}. " if lang == "en" else f"（{cat.numeral}）"
        ctx.out(f"\n{number}{cat.label(lang)}  [{cat.subtotal:g}]")
        for n in cat.items:
            it = c.item(n)
            ctx.out(f"  {n:>2}. [{it.max:g}] {it.label(lang)}")
    ctx.out(f"\n{ctx.t('加分项', 'Bonus')} ({ctx.t('最多', 'at most')} {c.bonus_cap:g})")
    for b in c.bonus:
        pts = "/".join(f"{p:g}" for p in b.allowed_points())
        ctx.out(f"  {b.number}. [{b.max:g}; {pts}] {b.label(lang)}")
    ctx.out(f"\n{c.veto_number}. {ctx.t('一票否决', 'One-vote veto')}")
    for v in c.veto_conditions:
        ctx.out(f"  {v.number}) {v.label(lang)}")
    ctx.out(f"\n{ctx.t('达标线', 'Pass mark')}: {c.pass_mark:g} ({ctx.t('含', 'inclusive')})")
    for p in c.periods:
        ctx.out(f"  {p.label}: {p.first} – {p.last}, {ctx.t('截止', 'due')} {p.due:%Y-%m-%d %H:%M}, "
                f"{ctx.t('目标', 'target')} {p.target:.0%}")  # fmt: skip


def cmd_plan_set(ctx: Context, args: argparse.Namespace) -> None:
    st = ctx.station(args.station)
    month = None if args.month.lower() in ("none", "-", "") else args.month
    ctx.store.plan.set(ctx.campaign, st.id, month)
    ctx.out(ctx.t(f"{st.name}：计划 {month or '未定'}", f"{st.name}: planned {month or 'none'}"))


def cmd_plan_show(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.domain.progress import progress

    c = ctx.campaign
    stations = ctx.store.stations.all()
    months = ctx.store.plan.months(c.id)
    prog = progress(c, ctx.store.stations.refs(), ctx.store.assessments.visit_refs(c.id), months)
    if args.json:
        ctx.emit_json(
            {
                "campaign": c.id,
                "months": c.plan_months(),
                "stations": [
                    {"id": s.id, "name": s.name, "month": months.get(s.id)} for s in stations
                ],
                "periods": [
                    {
                        "period": p.label,
                        "stations": p.stations,
                        "planned": p.planned,
                        "planned_share": p.planned_share,
                        "target": p.target,
                        "needed": p.needed,
                        "short": p.plan_short,
                    }
                    for p in prog
                ],
            }
        )
        return
    by_month: dict[str, list[str]] = {m: [] for m in c.plan_months()}
    unplanned: list[str] = []
    for s in stations:
        m = months.get(s.id, "")
        by_month.get(m, unplanned).append(s.name)
    for m, names in by_month.items():
        ctx.out(f"{m}  ({len(names)})  {'、'.join(names)}")
    if unplanned:
        ctx.out(f"{ctx.t('未计划', 'unplanned')} ({len(unplanned)})  {'、'.join(unplanned)}")
    for p in prog:
        share = percent(p.planned_share)
        flag = ctx.t("  计划不足", "  plan short") if p.plan_short else ""
        ctx.out(f"{p.label}: {ctx.t('计划', 'planned')} {p.planned}/{p.stations} = {share}, "
                f"{ctx.t('目标', 'target')} {p.target:.0%}{flag}")  # fmt: skip


def cmd_progress(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.domain.progress import progress

    c = ctx.campaign
    if args.quarter and c.period(args.quarter) is None:
        labels = ", ".join(p.label for p in c.periods)
        raise CliError(f"--quarter: no period {args.quarter!r} (periods: {labels})")
    prog = progress(
        c,
        ctx.store.stations.refs(),
        ctx.store.assessments.visit_refs(c.id),
        ctx.store.plan.months(c.id),
    )
    if args.quarter:
        prog = [p for p in prog if p.label == args.quarter]
    if args.json:
        ctx.emit_json({"campaign": c.id, "periods": [p.as_dict() for p in prog]})
        return
    head = ctx.t(
        "期间      服务站 已验收 达标  达标率   目标  计划占比  状态",
        "period  stations assessed passed rate  target planned  state",
    )
    ctx.out(head)
    for p in prog:
        rate, planned = percent(p.rate), percent(p.planned_share)
        state = ctx.t("落后", "behind") if p.behind else ctx.t("达到", "met")
        ctx.out(f"{p.label:<8}{p.stations:>6}{p.assessed:>7}{p.passed:>6}{rate:>8}"
                f"{p.target:>7.0%}{planned:>9}  {state}")  # fmt: skip


def cmd_demo(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.demo import fill_demo

    if not 1 <= args.stations <= 5000:
        raise CliError("--stations: must be 1..5000")
    if ctx.store.stations.count():
        raise CliError(ctx.t("数据库不为空：演示数据只写入空数据库", "the database is not empty"))
    n = fill_demo(ctx.store, ctx.campaign, args.stations, seed=args.seed)
    ctx.out(ctx.t(f"已生成演示乡镇：{n} 个服务站", f"demo township created: {n} stations"))


def cmd_keys(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.actions import ACTIONS

    user = ctx.settings.keymap()
    rows = [
        {"id": a.id, "keys": user.get(a.id, a.keys), "zh": a.zh, "en": a.en, "scope": a.scope}
        for a in ACTIONS
    ]
    if args.json:
        ctx.emit_json({"actions": rows})
        return
    for r in rows:
        ctx.out(f"{r['id']:<20} {r['keys']:<20} {r['en'] if ctx.lang == 'en' else r['zh']}")
