"""``fieldtui backup DEST`` and ``fieldtui restore FILE``: move the database to a USB stick or a successor."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fieldtui.cli.context import CliError, Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common], help="copy the database to a file or folder")
    p.add_argument("dest", help="a folder (a dated file is made in it) or a file name")
    p.set_defaults(handler=cmd_backup)
    p = sub.add_parser("restore", parents=[common], help="replace the database with a backup")
    p.add_argument("file")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=cmd_restore)


def cmd_backup(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.store.backup import PREFIX, SUFFIX, backup_file
    from fieldtui.store.timeutil import now

    dest = Path(args.dest).expanduser()
    if dest.is_dir() or args.dest.endswith(("/", "\\")):
        dest = dest / f"{PREFIX}{now():%Y%m%d-%H%M%S}{SUFFIX}"
    if dest.resolve() == ctx.store.path.resolve():
        raise CliError(ctx.t("不能备份到数据库自身", "cannot back up onto the live database"))
    backup_file(ctx.store.conn, dest)
    ctx.out(ctx.t(f"已备份到 {dest}", f"backed up to {dest}"))


def cmd_restore(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.store.backup import restore_from

    src = Path(args.file).expanduser()
    if not args.yes:
        prompt = ctx.t(
            f"用 {src} 替换当前数据库？当前数据库会先另存到 backups/。输入 yes 确认：",
            f"Replace the current database with {src}? It is kept in backups/ first. Type yes: ",
        )
        print(prompt, end="", file=sys.stderr, flush=True)
        if sys.stdin.readline().strip().lower() not in ("yes", "y", "是"):
            raise CliError(ctx.t("已取消，未作任何更改", "cancelled; nothing changed"), code=1)
    kept = restore_from(
        ctx.store.conn, ctx.store.path, src, keep=int(ctx.settings.get("backup.keep"))
    )
    ctx.out(
        ctx.t(
            f"已恢复 {src}；原数据库另存为 {kept}",
            f"restored {src}; the previous database is kept as {kept}",
        )
    )
