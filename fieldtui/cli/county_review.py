"""``fieldtui county sample|worklist|rescore|verdict|review|export``: the county's review.

Registered under ``fieldtui county`` by :func:`fieldtui.cli.county.register`. Everything heavy is
imported inside the handlers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldtui.cli.context import CliError, Context

if TYPE_CHECKING:
    from fieldtui.county.reviews import Entry, Rescore
    from fieldtui.county.store import CountyStore, StoredBatch
    from fieldtui.domain.review import Comparison
    from fieldtui.domain.rubric import Campaign


def _unit_value(kind: str) -> Any:
    def parse(text: str) -> tuple[str, float]:
        unit, sep, value = text.rpartition("=")
        if not sep or not unit.strip():
            raise argparse.ArgumentTypeError(f"expected UNIT={kind.upper()}, got {text!r}")
        try:
            return unit.strip(), float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None

    return parse


def register(csub: Any, common: argparse.ArgumentParser) -> None:
    p = csub.add_parser(
        "sample", parents=[common], help="draw stations to spot-check (reproducible from a seed)"
    )
    p.add_argument("--quarter", required=True, help="period, e.g. 2023Q2")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--share", type=float, help="share of each township's passed stations")
    how.add_argument("--count", type=int, help="stations per township")
    p.add_argument("--unit-share", type=_unit_value("share"), action="append", default=[],
                   metavar="UNIT=SHARE", help="another share for one township")  # fmt: skip
    p.add_argument("--unit-count", type=_unit_value("count"), action="append", default=[],
                   metavar="UNIT=COUNT", help="another count for one township")  # fmt: skip
    p.add_argument("--seed", help="the draw's seed (default: 64 random bits)")
    p.add_argument("--reviewer", help="who draws (default: the officer setting)")
    p.add_argument("--campaign", help="campaign id (default: the active one)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sample)

    p = csub.add_parser(
        "verify-sample", parents=[common], help="derive a stored draw again from its seed"
    )
    p.add_argument("sample_id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_verify_sample)

    p = csub.add_parser("worklist", parents=[common], help="the sampled stations to re-score")
    p.add_argument("--quarter", help="the newest draw of this period (default: newest of all)")
    p.add_argument("--sample", type=int, help="this draw")
    p.add_argument("--campaign", help="campaign id (default: the active one)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_worklist)

    p = csub.add_parser(
        "rescore", parents=[common], help="re-score a sampled station from a JSON score sheet"
    )
    p.add_argument("unit", help="the township")
    p.add_argument("station", help="the township's station id or exact name")
    p.add_argument("--from", dest="source", required=True, help="score sheet JSON ('-' = stdin)")
    p.add_argument("--quarter", help="the period it was sampled in (default: newest draw)")
    p.add_argument("--date", help="visit date YYYY-MM-DD (default: today)")
    p.add_argument("--reviewer", help="who re-scored (default: the officer setting)")
    p.add_argument("--revises", type=int, help="id of the county re-score this corrects")
    p.add_argument("--reason", help="why (required with --revises)")
    p.add_argument("--campaign", help="campaign id (default: the active one)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_rescore)

    p = csub.add_parser("verdict", parents=[common], help="record the verdict on a batch")
    p.add_argument("batch", help="batch id (or its first 8+ characters)")
    p.add_argument("verdict", choices=("accepted", "returned", "accepted_with_corrections"))
    p.add_argument("--reason", default="", help="required for returned / with corrections")
    p.add_argument("--stations", nargs="+", default=[], metavar="STATION",
                   help="the stations concerned (ids or exact names)")  # fmt: skip
    p.add_argument("--reviewer", help="who decides (default: the officer setting)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_verdict)

    rv = csub.add_parser("review", parents=[common], help="the review townships see")
    rsub = rv.add_subparsers(dest="review_cmd", metavar="ACTION", required=True)
    p = rsub.add_parser("show", parents=[common], help="the review of one batch (as served)")
    p.add_argument("batch", help="batch id (or its first 8+ characters)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_review_show)
    p = rsub.add_parser(
        "export", parents=[common], help="review files for townships that use e-mail"
    )
    p.add_argument("units", nargs="*", metavar="UNIT", help="default: every township")
    p.add_argument("--out", required=True, help="folder to write the files into")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_review_export)

    p = csub.add_parser(
        "export", parents=[common], help="county-wide statistics and spot-check results (XLSX)"
    )
    p.add_argument("--quarter", required=True)
    p.add_argument("--out", required=True, help="folder")
    p.add_argument("--campaign", help="campaign id (default: the active one)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_export)


# -- shared ------------------------------------------------------------------------------------


def _store(ctx: Context) -> CountyStore:
    from fieldtui.county.store import open_county

    return open_county(ctx.home)


def _now() -> str:
    from fieldtui.county.intake import now_iso

    return now_iso()


def _campaign(ctx: Context, args: argparse.Namespace) -> Campaign:
    from fieldtui.campaigns import active

    wanted = getattr(args, "campaign", None)
    return active(ctx.home, wanted) if wanted else ctx.campaign


def _reviewer(ctx: Context, given: str | None) -> str:
    name = (given or str(ctx.settings.get("officer") or "")).strip()
    if not name:
        raise CliError(
            ctx.t("请用 --reviewer 写明审核人（或设置 officer）",
                  "--reviewer: say who reviews (or set officer)")
        )  # fmt: skip
    if len(name) > 60:
        raise CliError("--reviewer: longer than 60 characters")
    return name


def _g(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def find_batch(store: CountyStore, ref: str) -> StoredBatch:
    ref = ref.strip().lower()
    exact = store.find(ref)
    if exact is not None:
        return exact
    if len(ref) < 8:
        raise CliError(f"batch {ref!r}: give the batch id or at least its first 8 characters")
    hits = [b for b in store.batches() if b.batch_id.startswith(ref)]
    if not hits:
        raise CliError(f"batch {ref!r}: no such batch was received")
    if len(hits) > 1:
        raise CliError(f"batch {ref!r}: matches {len(hits)} batches; give more characters")
    return hits[0]


# -- sample ------------------------------------------------------------------------------------


def sample_json(store: CountyStore, s: Any) -> dict[str, Any]:
    from fieldtui.county.reviews import entries
    from fieldtui.county.views import opt

    rec = s.record
    by_unit: dict[str, list[Entry]] = {}
    for e in entries(store, s.id):
        by_unit.setdefault(e.unit, []).append(e)
    return {
        "id": s.id,
        "campaign": s.campaign_id,
        "period": s.period,
        "seed": s.seed,
        "algorithm": s.algorithm,
        "reviewer": s.reviewer,
        "drawn_at": s.drawn_at,
        "parameters": rec["parameters"],
        "townships": [
            {
                "unit": unit,
                "batch_id": rec["population"][unit]["batch_id"],
                "rule": res["rule"],
                "population": res["population"],
                "drawn": len(res["stations"]),
                "stations": [
                    {"station_id": e.station_id, "name": e.name, "township_total": opt(e.total)}
                    for e in by_unit.get(unit, [])
                ],
            }
            for unit, res in sorted(rec["result"].items())
        ],
    }


def cmd_sample(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.county.reviews import draw_sample
    from fieldtui.domain.sampling import Parameters, Rule, new_seed

    campaign = _campaign(ctx, args)
    default = Rule("share", args.share) if args.share is not None else Rule("count", args.count)
    per: dict[str, Rule] = {}
    for unit, v in args.unit_share:
        per[unit] = Rule("share", v)
    for unit, v in args.unit_count:
        per[unit] = Rule("count", v)
    params = Parameters(default, per)
    reviewer = _reviewer(ctx, args.reviewer)
    seed = args.seed if args.seed is not None else new_seed()
    with _store(ctx) as store:
        s = draw_sample(store, campaign, args.quarter, params, seed, reviewer, _now())
        out = sample_json(store, s)
    if args.json:
        ctx.emit_json({"sample": out})
        return
    t = ctx.t
    ctx.out(t(f"抽查 #{out['id']}  {out['period']}  种子 {out['seed']}  （{out['algorithm']}）",
              f"draw #{out['id']}  {out['period']}  seed {out['seed']}  ({out['algorithm']})"))  # fmt: skip
    for tw in out["townships"]:
        names = "、".join(s["name"] for s in tw["stations"]) or t("（无）", "(none)")
        ctx.out(t(f"  {tw['unit']}：达标 {tw['population']} 个中抽 {tw['drawn']} 个：{names}",
                  f"  {tw['unit']}: {tw['drawn']} of {tw['population']} passed: {names}"))  # fmt: skip
    ctx.out(t("用 county verify-sample 可由种子重新推导并核对。",
              "county verify-sample derives it again from the seed."))  # fmt: skip


def cmd_verify_sample(ctx: Context, args: argparse.Namespace) -> int:
    from fieldtui.county.reviews import sample, verify_sample

    with _store(ctx) as store:
        s = sample(store, args.sample_id)
        if s is None:
            raise CliError(f"no sample {args.sample_id}")
        problems = verify_sample(store, args.sample_id)
    if args.json:
        ctx.emit_json(
            {"sample_id": s.id, "seed": s.seed, "reproduced": not problems, "problems": problems}
        )
    elif problems:
        for p in problems:
            print(p, file=sys.stderr)
    else:
        ctx.out(ctx.t(f"抽查 #{s.id} 已由种子 {s.seed} 重新推导，结果一致。",
                      f"draw #{s.id} derived again from seed {s.seed}: identical."))  # fmt: skip
    return 1 if problems else 0


# -- worklist ----------------------------------------------------------------------------------


def collect(ctx: Context, store: CountyStore) -> list[str]:
    """Record county visits completed in the workbook (the TUI's) before reading re-scores."""
    from fieldtui.campaigns import load_all
    from fieldtui.county.workbook import WORKBOOK_DIR, open_workbook
    from fieldtui.county.workbook import collect as collect_book
    from fieldtui.store.db import DB_NAME

    if not (ctx.home / WORKBOOK_DIR / DB_NAME).exists():
        return []
    with open_workbook(ctx.home) as book:
        return collect_book(store, book, load_all(ctx.home), _now()).problems


def cmd_worklist(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.county import reviews
    from fieldtui.county.views import worklist_json

    campaign = _campaign(ctx, args)
    with _store(ctx) as store:
        problems = collect(ctx, store)
        if args.sample is not None:
            s = reviews.sample(store, args.sample)
            if s is None:
                raise CliError(f"--sample: no sample {args.sample}")
        else:
            s = reviews.latest_sample(store, campaign.id, args.quarter)
        out = worklist_json(store, campaign, s)
    for p in problems:
        print(p, file=sys.stderr)
    if args.json:
        ctx.emit_json(out)
        return
    t = ctx.t
    if out["sample"] is None:
        ctx.out(t("还没有抽查。用 county sample 抽取。", "no draw yet: use county sample"))
        return
    h = out["sample"]
    ctx.out(t(f"抽查 #{h['id']} {h['period']}（种子 {h['seed']}）：已复核 {out['done']}/{out['total']}",
              f"draw #{h['id']} {h['period']} (seed {h['seed']}): re-scored {out['done']}/{out['total']}"))  # fmt: skip
    for e in out["entries"]:
        c = e["comparison"]
        if e["rescore"] is None:
            state = t("待复核", "to re-score")
        else:
            verdict = t("达标", "pass") if e["rescore"]["passed"] else t("未达标", "fail")
            state = t(f"县复核 {_g(e['rescore']['total'])} {verdict}",
                      f"county {_g(e['rescore']['total'])} {verdict}")  # fmt: skip
            if c is not None and c["verdict_changed"]:
                state += t("  ⚠ 结论改变", "  ⚠ verdict changes")
        ctx.out(f"  {e['unit']}  #{e['station_id']} {e['name']}  "
                f"{t('镇乡', 'township')} {_g(e['township_total'])}  {state}")  # fmt: skip


# -- rescore -----------------------------------------------------------------------------------


def cmd_rescore(ctx: Context, args: argparse.Namespace) -> None:

    from fieldtui.cli.assess import _read_sheet, check_sheet, parse_date, parse_sheet
    from fieldtui.county import reviews, workbook
    from fieldtui.county.views import comparison_json, rescore_json

    campaign = _campaign(ctx, args)
    reviewer = _reviewer(ctx, args.reviewer)
    scores, notes, bonus, veto = parse_sheet(_read_sheet(args.source), args.source)
    check_sheet(campaign, args.source, scores, notes, bonus, veto)
    day = parse_date(args.date)
    with _store(ctx) as store, workbook.open_workbook(ctx.home) as book:
        collect_problems = workbook.collect(store, book, {campaign.id: campaign}, _now()).problems
        entry = reviews.find_entry(
            store, campaign.id, args.unit.strip(), args.station, args.quarter
        )
        workbook.check_rubric(store, campaign, entry)
        local = workbook.ensure_station(store, book, entry)
        if args.revises is not None:
            if not args.reason or not args.reason.strip():
                raise CliError(ctx.t("--revises 需要 --reason", "--revises needs --reason"))
            prev = reviews.rescore(store, args.revises)
            if prev is None or (prev.unit, prev.station_id) != (entry.unit, entry.station_id):
                raise CliError(
                    f"--revises: no county re-score {args.revises} of {entry.unit} {entry.name}"
                )
            aid = book.assessments.revise(prev.workbook_id, campaign, args.reason, reviewer, day)
            fresh = False
        else:
            if args.reason:
                raise CliError("--reason: only with --revises")
            missing = [it.number for it in campaign.items if scores.get(it.number) is None]
            if missing:
                raise CliError(
                    ctx.t(f"第{missing[0]}项未评分（共{len(missing)}项），不能完成",
                          f"item {missing[0]} is unscored ({len(missing)} in all); cannot complete")
                )  # fmt: skip
            aid = book.assessments.create(
                local, campaign, day or workbook.today_china(), reviewer, reviewer
            )
            fresh = True
        try:
            book.assessments.import_sheet(aid, campaign, scores, notes, bonus or [], veto, reviewer)
            book.assessments.complete(aid, campaign, reviewer)
        except Exception:
            if fresh:
                book.assessments.discard_draft(aid, reviewer)
            raise
        got = workbook.collect(store, book, {campaign.id: campaign}, _now())
        r = reviews.rescore_by_workbook(store, aid)
        if r is None:
            raise CliError("; ".join(got.problems) or "the re-score was not recorded")
        comp = reviews.comparison(store, campaign, r)
    for p in collect_problems:
        print(p, file=sys.stderr)
    out = {
        "unit": r.unit,
        "station_id": r.station_id,
        "name": entry.name,
        "batch_id": r.batch_id,
        "sample_id": r.sample_id,
        "rescore": rescore_json(r),
        "comparison": None if comp is None else comparison_json(comp),
    }
    if args.json:
        ctx.emit_json(out)
        return
    print_comparison(ctx, f"{r.unit} {entry.name}", comp, r)


def print_comparison(ctx: Context, title: str, comp: Comparison | None, r: Rescore) -> None:
    t = ctx.t
    ctx.out(t(f"{title}：县复核 #{r.id} 已记录（{r.date}，{r.reviewer}）",
              f"{title}: county re-score #{r.id} recorded ({r.date}, {r.reviewer})"))  # fmt: skip
    if comp is None:
        ctx.out(t("  镇乡批次中没有该站的计分访查，无法对照", "  the batch has no counting visit"))
        return

    def verdict(passed: bool) -> str:
        return t("达标", "pass") if passed else t("未达标", "fail")

    ctx.out(t(f"  镇乡 {comp.township.total:g} {verdict(comp.township.passed)}   "
              f"县 {comp.county.total:g} {verdict(comp.county.passed)}   差 {comp.delta:+g}",
              f"  township {comp.township.total:g} {verdict(comp.township.passed)}   "
              f"county {comp.county.total:g} {verdict(comp.county.passed)}   "
              f"delta {comp.delta:+g}"))  # fmt: skip
    for row in comp.differences:
        ctx.out(t(f"    第{row.n}项（{row.max:g}分）：镇乡 {_g(row.township)} → 县 {_g(row.county)}",
                  f"    item {row.n} (max {row.max:g}): township {_g(row.township)} → "
                  f"county {_g(row.county)}"))  # fmt: skip
    if comp.verdict_changed:
        ctx.out(t("  ⚠ 达标结论改变", "  ⚠ the pass/fail verdict changes"))


# -- verdicts and review documents ---------------------------------------------------------------


def cmd_verdict(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.county import reviews
    from fieldtui.domain.review import check_verdict, verdict_label

    reviewer = _reviewer(ctx, args.reviewer)
    with _store(ctx) as store:
        batch = find_batch(store, args.batch)
        names = reviews.batch_station_names(store, batch.batch_id)
        v = check_verdict(args.verdict, args.reason, args.stations, names, reviewer)
        got = reviews.add_verdict(store, batch, v, _now())
    out = {"batch_id": batch.batch_id, "unit": batch.unit, "period": batch.period, "verdict": got}
    if args.json:
        ctx.emit_json(out)
        return
    label = verdict_label(got["verdict"], ctx.lang)
    ctx.out(ctx.t(f"{batch.unit} {batch.period} 批次 {batch.batch_id[:8]}：{label}（意见 #{got['id']}）",
                  f"{batch.unit} {batch.period} batch {batch.batch_id[:8]}: {label} "
                  f"(verdict #{got['id']})"))  # fmt: skip
    if got["supersedes"]:
        ctx.out(ctx.t(f"  取代意见 #{got['supersedes']}", f"  supersedes verdict #{got['supersedes']}"))  # fmt: skip


def cmd_review_show(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.campaigns import load_all
    from fieldtui.county import reviews

    with _store(ctx) as store:
        for p in collect(ctx, store):
            print(p, file=sys.stderr)
        batch = find_batch(store, args.batch)
        doc = reviews.review_document(store, load_all(ctx.home), batch, _now())
    if args.json:
        ctx.emit_json(doc)
        return
    from fieldtui.domain.review import verdict_label

    ctx.out(f"{doc['unit']} {doc['period']} {doc['batch_id']}: "
            f"{verdict_label(doc['status'], ctx.lang)}")  # fmt: skip
    if doc["verdict"] and doc["verdict"]["reason"]:
        ctx.out(f"  {doc['verdict']['reason']}")
    for sc in doc["spot_checks"]:
        county = sc["county"]
        ctx.out(f"  #{sc['station_id']} {sc['name']}: {_g(sc['township_total'])} → "
                f"{_g(county['total']) if county else '—'}")  # fmt: skip


def cmd_review_export(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.campaigns import load_all
    from fieldtui.county import reviews
    from fieldtui.domain.batch import canonical
    from fieldtui.domain.filenames import safe_filename
    from fieldtui.sync.files import write_all

    out_dir = Path(args.out)
    written = []
    now = _now()
    with _store(ctx) as store:
        for p in collect(ctx, store):
            print(p, file=sys.stderr)
        units = [u.strip() for u in args.units] or reviews.units_with_batches(store)
        campaigns = load_all(ctx.home)
        for unit in units:
            obj = reviews.reviews_file(store, campaigns, unit, now)
            name = safe_filename(f"{unit}-county-review-{now[:10]}", "json")
            (path,) = write_all(out_dir, [(name, canonical(obj))])
            written.append(
                {
                    "unit": unit,
                    "file": str(path),
                    "batches": len(obj["reviews"]),
                    "sha256": obj["sha256"],
                    "signed": bool(obj["signatures"]),
                }
            )
    if args.json:
        ctx.emit_json({"files": written})
        return
    for w in written:
        ctx.out(ctx.t(f"已写入 {w['file']}（{w['unit']}，{w['batches']} 个批次）",
                      f"written {w['file']} ({w['unit']}, {w['batches']} batches)"))  # fmt: skip


def cmd_export(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.county.export import export_quarter

    campaign = _campaign(ctx, args)
    if campaign.period(args.quarter) is None:
        labels = ", ".join(p.label for p in campaign.periods)
        raise CliError(f"--quarter: no period {args.quarter!r} (periods: {labels})")
    with _store(ctx) as store:
        for p in collect(ctx, store):
            print(p, file=sys.stderr)
        files = export_quarter(store, campaign, args.quarter, Path(args.out), _now(),
                               str(ctx.settings.get("unit") or ""))  # fmt: skip
    if args.json:
        ctx.emit_json({"period": args.quarter, "files": files})
        return
    for f in files:
        ctx.out(ctx.t(f"已写入 {f['file']}", f"written {f['file']}"))
