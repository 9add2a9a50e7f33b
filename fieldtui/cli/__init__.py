"""The ``fieldtui`` command.

Sub-commands live in modules of this package, each with a ``register(sub, common)`` function;
heavy imports happen inside the handlers, so ``fieldtui --help`` and the app start stay fast.
Global options (``--home``, ``--lang``) work before or after the sub-command. Every refusal exits
non-zero with a one-line message naming what was wrong.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from fieldtui.cli.context import CliError, Context

if TYPE_CHECKING:
    import argparse

COMMAND_MODULES = ("core", "ledger", "assess", "backup", "county", "batches", "review")


def _common() -> argparse.ArgumentParser:
    import argparse

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
    import argparse
    import importlib

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


def app_only(argv: Sequence[str]) -> Any | None:
    """The options when the command line only starts the app (nothing but ``--home DIR`` and
    ``--lang zh|en``), else None. The app then starts without building the parser: every
    sub-command's module would be imported for it, a fifth of the app's own start-up."""
    opts: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name not in ("--home", "--lang"):
            return None  # a sub-command, --help, --version, an abbreviation: argparse decides
        if not eq:
            if i + 1 >= len(argv):
                return None
            i += 1
            value = argv[i]
        if name == "--lang" and value not in ("zh", "en"):
            return None  # argparse refuses it with its usual message
        opts[name[2:]] = value
        i += 1
    return SimpleNamespace(**opts)


def run_app(ctx: Context) -> int:
    """Start the app. Settings and campaign are validated first, before the screen takes over
    the terminal: a wrong rubric or settings file is refused with its key named."""
    import gc

    # No collections while starting: the app allocates its whole start-up heap (modules, styles,
    # widgets) at once and every collection would scan it all again. The app freezes that heap
    # and turns collection back on once its first screen is ready (fieldtui.app.run).
    gc.disable()
    settings, campaign = ctx.settings, ctx.campaign
    from fieldtui.app import run

    return run(ctx.home, ctx.lang, settings=settings, campaign=campaign)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = app_only(argv) or build_parser().parse_args(argv)
    ctx = Context.from_args(args)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
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
