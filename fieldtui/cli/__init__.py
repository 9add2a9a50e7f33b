"""The ``fieldtui`` command.

Sub-commands live in modules of this package, each with a ``register(sub, common)`` function;
heavy imports happen inside the handlers, so ``fieldtui --help`` and the app start stay fast.
Global options (``--home``, ``--lang``) work before or after the sub-command. Every refusal exits
non-zero with a one-line message naming what was wrong.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from fieldtui.cli.context import CliError, Context

COMMAND_MODULES = ("core", "ledger", "assess", "backup", "county", "batches", "review")


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--home",
        default=argparse.SUPPRESS,
        help="folder holding settings.toml and the database (env FIELDTUI_HOME)",
    )
    p.add_argument(
        "--lang", choices=("zh", "en"), default=argparse.SUPPRESS, help="interface language"
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="fieldtui",
        parents=[common],
        description="退役军人服务站规范建设验收工具 / village veterans service station acceptance tool",
    )
    parser.add_argument("--version", action="version", version="fieldtui 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"fieldtui.cli.{name}")
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ctx = Context.from_args(args)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            from fieldtui.cli.core import run_app

            return run_app(ctx)
        return int(handler(ctx, args) or 0)
    except CliError as exc:
        print(f"fieldtui: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("fieldtui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the known refusals from every layer become one line
        msg = ctx.known_error(exc)
        if msg is None:
            raise
        print(f"fieldtui: {msg}", file=sys.stderr)
        return 2
    finally:
        ctx.close()
