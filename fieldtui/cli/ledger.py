"""``fieldtui ledger``: list, import and export the stations."""

from __future__ import annotations

import argparse
from typing import Any

from fieldtui.cli.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    led = sub.add_parser("ledger", parents=[common], help="the ledger of stations")
    lsub = led.add_subparsers(dest="ledger_cmd", metavar="ACTION", required=True)
    p = lsub.add_parser("list", parents=[common], help="the stations")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="include archived stations")
    p.set_defaults(handler=cmd_list)


def cmd_list(ctx: Context, args: argparse.Namespace) -> None:
    stations = ctx.store.stations.all(include_archived=args.all)
    if args.json:
        ctx.emit_json({"stations": [s.as_dict() for s in stations]})
        return
    for s in stations:
        archived = f"  [{ctx.t('已归档', 'archived')} {s.archived}]" if s.archived else ""
        people = "" if s.people_served is None else s.people_served
        ctx.out(f"{s.id:>4}  {s.name}  {s.head}  {s.contact}  {s.phone}  {people}{archived}")
