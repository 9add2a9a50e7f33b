"""``fieldtui assess``: score a station without the TUI, as a new visit or a revision."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from fieldtui.cli.context import CliError, Context
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import BonusEntry, check_bonus, check_score, check_veto

_SHEET_KEYS = {"scores", "notes", "bonus", "veto"}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("assess", parents=[common], help="score a station from a JSON file")
    p.add_argument("station", help="station id or exact name")
    p.add_argument("--date", help="visit date YYYY-MM-DD (a revision keeps the original's)")
    p.add_argument("--from", dest="source", required=True, help="score sheet JSON ('-' = stdin)")
    p.add_argument("--assessor", default=None)
    p.add_argument("--complete", action="store_true", help="complete and lock the assessment")
    p.add_argument("--revises", type=int, help="id of the completed assessment this corrects")
    p.add_argument("--reason", help="why the correction is made (required with --revises)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_assess)


def _read_sheet(source: str) -> dict[str, Any]:
    import sys

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{source}: cannot read ({exc})") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise CliError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CliError(f"{source}: expected a JSON object with scores, notes, bonus, veto")
    from fieldtui.domain.schema import NOT_UNICODE, surrogate_path

    where = surrogate_path(data)
    if where is not None:
        raise CliError(f"{source}: {where}: {NOT_UNICODE}")
    unknown = set(data) - _SHEET_KEYS
    if unknown:
        raise CliError(f"{source}: unknown key {sorted(unknown)[0]!r}")
    return data


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _int_key(key: str, where: str) -> int:
    try:
        return int(key)
    except ValueError:
        raise CliError(f"{where}: {key!r} is not an item number") from None


def parse_sheet(
    data: dict[str, Any], source: str
) -> tuple[dict[int, float | None], dict[int, str], list[BonusEntry] | None, list[int]]:
    scores_raw = data.get("scores", {})
    if not isinstance(scores_raw, dict):
        raise CliError(f"{source}: scores must be an object of item number to score")
    scores: dict[int, float | None] = {}
    for k, v in scores_raw.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise CliError(f"{source}: scores.{k}: {v!r} is not a number")
        scores[_int_key(k, f"{source}: scores")] = v
    notes_raw = data.get("notes", {})
    if not isinstance(notes_raw, dict) or not all(isinstance(v, str) for v in notes_raw.values()):
        raise CliError(f"{source}: notes must be an object of item number to text")
    notes = {_int_key(k, f"{source}: notes"): v for k, v in notes_raw.items()}
    bonus: list[BonusEntry] | None = None
    if "bonus" in data:
        if not isinstance(data["bonus"], list):
            raise CliError(f"{source}: bonus must be a list")
        bonus = []
        for i, b in enumerate(data["bonus"]):
            if not isinstance(b, dict) or set(b) - {"item", "points", "matter", "level"}:
                raise CliError(f"{source}: bonus[{i}] needs item, points, matter (and level)")
            item, points = b.get("item"), b.get("points")
            if isinstance(item, bool) or not isinstance(item, int):
                raise CliError(f"{source}: bonus[{i}].item must be a bonus item number")
            if isinstance(points, bool) or not isinstance(points, (int, float)):
                raise CliError(f"{source}: bonus[{i}].points must be a number")
            bonus.append(
                BonusEntry(item, float(points), str(b.get("matter", "")), str(b.get("level", "")))
            )
    veto = data.get("veto", [])
    if not isinstance(veto, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in veto
    ):
        raise CliError(f"{source}: veto must be a list of condition numbers")
    return scores, notes, bonus, veto


def check_sheet(
    campaign: Campaign,
    source: str,
    scores: dict[int, float | None],
    notes: dict[int, str],
    bonus: list[BonusEntry] | None,
    veto: list[int],
) -> None:
    """Check a whole parsed sheet against the campaign before anything is written."""
    for n, v in scores.items():
        if v is not None:
            check_score(campaign, n, v)
    for n in notes:
        if not campaign.has_item(n):
            raise CliError(f"{source}: notes.{n}: no such standard item")
    for e in bonus or []:
        check_bonus(campaign, e)
    check_veto(campaign, veto)


def parse_date(value: str | None) -> dt.date | None:
    """``--date YYYY-MM-DD``, or None when not given."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"--date: {value!r} is not YYYY-MM-DD") from None


def cmd_assess(ctx: Context, args: argparse.Namespace) -> None:
    c = ctx.campaign
    store = ctx.store
    st = ctx.station(args.station)
    scores, notes, bonus, veto = parse_sheet(_read_sheet(args.source), args.source)
    day = parse_date(args.date)
    actor = args.assessor or str(ctx.settings.get("officer"))
    check_sheet(c, args.source, scores, notes, bonus, veto)
    if args.complete and args.revises is None:
        missing = [it.number for it in c.items if scores.get(it.number) is None]
        if missing:
            raise CliError(
                ctx.t(f"第{missing[0]}项未评分（共{len(missing)}项），不能完成",
                      f"item {missing[0]} is unscored ({len(missing)} in all); cannot complete")
            )  # fmt: skip
    if args.revises is not None:
        if not args.reason or not args.reason.strip():
            raise CliError(
                ctx.t("--revises 需要 --reason 说明修订原因", "--revises needs --reason")
            )
        orig = store.assessments.get(args.revises)
        if orig is None or orig.station_id != st.id:
            raise CliError(f"--revises: no assessment {args.revises} of station {st.name}")
    else:
        if day is None:
            raise CliError(ctx.t("新的验收需要 --date", "a new visit needs --date"))
        if args.reason:
            raise CliError("--reason: only with --revises")
    # One transaction: the visit (or revision) with its whole sheet, or nothing at all.
    aid = store.assessments.record_sheet(
        st.id, c, scores, notes, bonus or [], veto, day=day, assessor=actor,
        complete=args.complete, revises=args.revises, reason=args.reason or "", actor=actor,
    )  # fmt: skip
    a = store.assessments.require(aid)
    r = a.result(c)
    out = {
        "id": a.id,
        "station": st.name,
        "station_id": st.id,
        "date": a.date.isoformat(),
        "revises": a.revises,
        "base": r.base,
        "bonus": r.bonus,
        "total": r.total,
        "veto": r.veto,
        "passed": r.passed,
        "complete": a.complete,
    }
    if args.json:
        ctx.emit_json(out)
        return
    state = ctx.t("已完成", "complete") if a.complete else ctx.t("草稿", "draft")
    verdict = ctx.t("达标", "pass") if r.passed else ctx.t("未达标", "fail")
    ctx.out(f"#{a.id} {st.name} {a.date}: {r.total:g} ({r.base:g}+{r.bonus:g}) "
            f"{verdict if a.complete else ''} [{state}]")  # fmt: skip
