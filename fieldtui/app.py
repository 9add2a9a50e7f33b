"""The Textual app: six areas as modes, keys from the action table, first start, backup on quit.

Start-up stays lean: only the dashboard is built at start; every other area's module is imported
and its screen built the first time it is opened (``MODES`` holds factories, not classes). The
scoring and batches areas come from their own modules; while a build lacks one, its mode shows a
clear message instead of failing.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import inspect
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, cast

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette, Provider
from textual.screen import Screen

from fieldtui.campaigns import active
from fieldtui.domain.progress import china_now
from fieldtui.domain.rubric import Campaign
from fieldtui.screens.keys import scoped, set_language
from fieldtui.settings import Settings, load_settings
from fieldtui.store.store import Store, open_store
from fieldtui.widgets.colours import mark_few_colours

ENV_TODAY = "FIELDTUI_TODAY"  # tests: freeze the officer's "today" (YYYY-MM-DD)
# Benchmarks and tests: run headless and exit as soon as the first screen is ready for input.
ENV_EXIT_WHEN_READY = "FIELDTUI_EXIT_WHEN_READY"
# With it, a file to write ``{"ready": time.monotonic(), "modules": [...]}`` into at that moment.
ENV_READY_FILE = "FIELDTUI_READY_FILE"
DEMO_STATIONS = 24

# mode -> (module, class). Imported when the mode is first opened.
AREA_SCREENS: dict[str, tuple[str, str]] = {
    "dashboard": ("fieldtui.screens.dashboard", "DashboardScreen"),
    "ledger": ("fieldtui.screens.ledger", "LedgerScreen"),
    "plan": ("fieldtui.screens.plan", "PlanScreen"),
    "scoring": ("fieldtui.screens.scoring", "ScoringScreen"),
    "batches": ("fieldtui.screens.batches", "BatchesScreen"),
    "settings": ("fieldtui.screens.settings", "SettingsScreen"),
}


def area_factory(mode: str) -> Callable[[], Screen[Any]]:
    """A factory that imports the area's module only when the mode is first opened."""

    def make() -> Screen[Any]:
        module_name, class_name = AREA_SCREENS[mode]
        screen: Screen[Any] = getattr(importlib.import_module(module_name), class_name)()
        styled_now(screen)
        return screen

    make.__name__ = f"make_{mode}_screen"
    return make


def styled_now(screen: Screen[Any]) -> None:
    """Spare Textual a whole-stylesheet refresh when it installs a screen a mode factory built.

    Textual 8.2.8 refreshes the whole app's CSS (parses every rule again in a fresh stylesheet,
    restyles every node of every screen) whenever it installs a mode's screen whose CSS count
    differs from the app's, and a new screen's count is always -1: every area's first opening,
    the first screen at start-up included, paid for a full refresh. A screen created this instant
    has never been styled, so nothing in it is stale; its own .tcss is still read and applied when
    Textual installs it (App._load_screen_css). What the refresh did that matters is style the app
    node itself before the first screen is mounted under it (its colours are inherited): done
    here, for one node. tests/app/test_startup.py checks that no stylesheet is parsed twice, and
    the snapshots that every screen looks the same.
    """
    from textual._context import active_app

    app = active_app.get(None)
    if app is not None:
        screen._css_update_count = app._css_update_count
        app.stylesheet.apply(app)


def commands_provider() -> type[Provider]:
    """The command palette's provider, imported when the palette first opens."""
    from fieldtui.screens.commands import FieldCommands

    return FieldCommands


_NAMED_KEYS = {
    "escape": "Esc",
    "delete": "Del",
    "enter": "Enter",
    "space": "Space",
    "backspace": "Bksp",
    "tab": "Tab",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
}


def key_label(key: str) -> str:
    """``f2`` -> ``F2``, ``ctrl+s`` -> ``Ctrl+S``, ``question_mark`` -> ``?``."""
    from textual.keys import format_key

    *mods, name = key.split("+")
    if re.fullmatch(r"f\d{1,2}", name):
        shown = name.upper()
    elif name in _NAMED_KEYS:
        shown = _NAMED_KEYS[name]
    else:
        shown = format_key(name)
        if mods and len(shown) == 1:
            shown = shown.upper()
    return "+".join([*(m.capitalize() for m in mods), shown])


_VARIABLE = re.compile(r"^\$([\w-]+)\s*:\s*([^;]+);", re.MULTILINE)
_REFERENCE = re.compile(r"\$([\w-]+)")


def shared_css_variables() -> dict[str, str]:
    """The ``$variables`` declared in app.tcss, offered to every screen's own .tcss file.

    Textual scopes a variable to the file that declares it; adding them to the app's CSS
    variables (FieldApp.get_css_variables) makes app.tcss the one place for shared values.
    """
    text = (Path(__file__).parent / "app.tcss").read_text(encoding="utf-8")
    return {m.group(1): m.group(2).strip() for m in _VARIABLE.finditer(text)}


@scoped("app")
class FieldApp(App[None]):
    """The officer's app. Provides what :class:`fieldtui.screens.context.AppServices` promises."""

    # Absolute, so that a subclass defined elsewhere (a benchmark, a test) still finds them.
    # The first screens' own files are read with the app's: Textual restyles the whole DOM each
    # time a screen brings a stylesheet it has not seen, which would cost start-up two restyles.
    CSS_PATH = [
        str(Path(__file__).with_name("app.tcss")),
        str(Path(__file__).parent / "screens" / "dashboard.tcss"),
        str(Path(__file__).parent / "screens" / "welcome.tcss"),
    ]
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        mode: area_factory(mode) for mode in AREA_SCREENS
    }
    DEFAULT_MODE = "dashboard"
    ENABLE_COMMAND_PALETTE = False  # our own key (app.palette) opens it, with our providers
    COMMANDS: ClassVar[set[Any]] = {commands_provider}

    def __init__(
        self,
        home: Path,
        lang: str = "zh",
        *,
        today: dt.date | None = None,
        blink: bool = True,
        check_storage: bool = True,
        handle_signals: bool = False,
        exit_when_ready: bool = False,
        settings: Settings | None = None,
        campaign: Campaign | None = None,
        tune_gc: bool = False,
    ) -> None:
        # Bindings are built per language before any screen (or this app) is created.
        set_language(lang)
        super().__init__()
        self.home = home
        self.lang = lang
        self.blink = blink  # tests and snapshots turn the cursor blink off
        self.check_storage = check_storage  # snapshots must not depend on the host's disks
        self.handle_signals = handle_signals  # the real run: SIGTERM/SIGHUP quit cleanly
        self.stopped_by: int | None = None
        self.exit_when_ready = exit_when_ready
        self.tune_gc = tune_gc  # the real process (run()): see _first_screen_ready
        self._today = today
        # The command line has validated both already: not read and checked a second time.
        self.settings: Settings = settings or load_settings(home)
        self.campaign: Campaign = campaign or active(home, str(self.settings.get("campaign")))
        self.store: Store = open_store(home, before_migrate=self._backup_before_migrate)
        self.backup_error: str | None = None
        self.title = self.tr("退役军人服务站规范建设验收", "Veterans service station acceptance")
        self.set_keymap(self.settings.keymap())
        mark_few_colours(self)

    # -- what every screen may rely on (fieldtui.screens.context.AppServices) ------------------

    def today(self) -> dt.date:
        return self._today or china_now().date()

    def tr(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    def get_key_display(self, binding: Binding) -> str:
        """Keys as an officer reads them on the keyboard: F2, Ctrl+S, Del, Esc."""
        if binding.key_display:
            return binding.key_display
        return key_label(binding.key)

    # -- start and stop --------------------------------------------------------------------------

    def get_css_variables(self) -> dict[str, str]:
        variables = super().get_css_variables()
        for name, value in shared_css_variables().items():
            # Resolve references to the theme ($primary) here: Textual does not resolve a
            # variable's value again, so "$primary 50%" must arrive as a colour.
            variables.setdefault(
                name, _REFERENCE.sub(lambda m: variables.get(m.group(1), m.group(0)), value)
            )
        self.theme_variables = variables
        return variables

    def on_load(self) -> None:
        # Before the terminal is switched to the app's modes: from here on a SIGTERM (logout,
        # shutdown, `kill`) or SIGHUP (the terminal window closed) quits the way Ctrl+Q does —
        # pending writes finished, the database backed up, the terminal put back — instead of
        # dying with the terminal left in raw mode on the alternate screen.
        if self.handle_signals and os.name == "posix":
            import asyncio
            import signal

            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, self.exit_on_signal, sig)

    def exit_on_signal(self, signum: int) -> None:
        self.stopped_by = signum
        self.exit(return_code=128 + signum)

    def on_mount(self) -> None:
        if self.store.stations.count() == 0:
            self.offer_first_start()
        self.call_after_refresh(self._first_screen_ready)

    def _first_screen_ready(self) -> None:
        """The first screen has been drawn and takes keys: now the work nobody waits for."""
        if self.check_storage:  # a toast, if needed; reading the mounts is not worth a delay
            self.call_after_refresh(self.warn_about_storage)
        self.call_after_refresh(self.warn_about_readable_token)
        if self.tune_gc:
            # Started with collection off (fieldtui.cli.run_app): everything allocated so far
            # (modules, classes, styles, the first screen) lives as long as the app, so move it
            # out of the collector's sight, then collect as usual among what comes after. Full
            # collections then scan only the young heap and stop stalling frames.
            gc.freeze()
            gc.collect()  # scans nothing; starts CPython's long-lived count from zero (see
            gc.enable()  # fieldtui.screens.scoring.tune_gc, which freezes again when scoring)
        if self.exit_when_ready:
            self._ready_exit()

    def _ready_exit(self) -> None:
        """Benchmarks: note the moment the first screen was ready, and exit."""
        ready = time.monotonic()
        path = os.environ.get(ENV_READY_FILE)
        if path:
            import json

            report = {
                "ready": ready,
                "cpu": time.process_time(),
                "screen": type(self.screen).__name__,
                "modules": sorted(sys.modules),
                "gc": {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()},
            }
            Path(path).write_text(json.dumps(report), encoding="utf-8")
        self.exit()

    def warn_about_readable_token(self) -> None:
        """A token in a settings file other users can read is not used (Settings.token()
        refuses it): say so at start, not only when a send fails."""
        s = self.settings
        if not (s.world_readable and s.get("token")):
            return
        self.notify(
            self.tr(
                f"设置文件 {s.path} 其他用户可以读取，其中的县级令牌暂不使用。"
                f"请运行 chmod 600 {s.path}",
                f"{s.path} can be read by other users: the county token in it is not used "
                f"until you run `chmod 600 {s.path}`.",
            ),
            title=self.tr("警告", "Warning"),
            severity="warning",
            timeout=30,
        )

    def warn_about_storage(self) -> None:
        """The live database must not run from a USB stick or a network share: say so."""
        from fieldtui.store.location import storage_warning

        warning = storage_warning(self.store.path)
        if not warning:
            return
        where = warning.rsplit(":", 1)[-1]
        if warning.startswith("network"):
            text = self.tr(
                f"数据库位于网络共享（{where}），断网会损坏数据。请放在本机硬盘，"
                "用 fieldtui backup 复制到共享。",
                f"The database is on a network share ({where}); a dropped connection can "
                "corrupt it. Keep it on a local disk and use `fieldtui backup` to copy it there.",
            )
        else:
            text = self.tr(
                f"数据库位于U盘等可移动存储（{where}），拔出会损坏数据。请放在本机硬盘，"
                "用 fieldtui backup 复制到U盘。",
                f"The database is on removable storage ({where}); pulling it out can corrupt "
                "it. Keep it on a local disk and use `fieldtui backup` to copy it there.",
            )
        self.notify(text, title=self.tr("警告", "Warning"), severity="warning", timeout=30)

    def _backup_before_migrate(self, path: Path, version: int) -> None:
        from fieldtui.store.backup import backup_before_migration

        backup_before_migration(path, version, keep=int(self.settings.get("backup.keep")))

    def on_unmount(self) -> None:
        from fieldtui.store.backup import rotating_backup

        self.flush_writes()
        if self.exit_when_ready:  # a measurement run changed nothing: no backup to take
            self.store.close()
            return
        try:
            rotating_backup(
                self.store.conn, self.store.path, "quit", int(self.settings.get("backup.keep"))
            )
        except Exception as exc:  # reported after the screen is gone; never lose the quit
            self.backup_error = str(exc)
        finally:
            self.store.close()

    def flush_writes(self) -> None:
        """Wait for every change still on its way to the database (the scoring writer)."""
        for screen in self._screen_stacks.get("scoring", []):
            flush = getattr(screen, "flush", None)
            if callable(flush):
                flush()

    # -- the first start -------------------------------------------------------------------------

    def offer_first_start(self) -> None:
        from fieldtui.screens.welcome import WelcomeScreen

        self.push_screen(WelcomeScreen(), self._first_start_choice)

    def _first_start_choice(self, choice: str | None) -> None:
        if choice == "demo":
            self.load_demo()
        elif choice == "add":
            self.run_worker(self._add_by_hand(), exclusive=True, group="first-start")
        elif choice == "import":
            self.run_worker(self._import_file(), exclusive=True, group="first-start")

    async def _add_by_hand(self) -> None:
        await self.switch_mode("ledger")
        ledger = self.screen_stack[0]
        if hasattr(ledger, "action_add"):
            ledger.action_add()

    async def _import_file(self) -> None:
        await self.switch_mode("ledger")
        ledger = self.screen_stack[0]
        if hasattr(ledger, "action_import"):
            ledger.action_import()

    @work(thread=True, exclusive=True, group="demo")
    def load_demo(self) -> int:
        """Fill the empty database with the demo township (in a thread: pypinyin is slow to load)."""
        from fieldtui.demo import fill_demo
        from fieldtui.store.store import open_store as open_own

        self.call_from_thread(
            self.notify, self.tr("正在生成演示乡镇……", "Creating the demo township…")
        )
        # A connection of its own: the UI thread keeps reading on the app's one.
        with open_own(self.home) as store:
            if store.stations.count():
                return 0
            n = fill_demo(store, self.campaign, DEMO_STATIONS, today=self.today())
        self.call_from_thread(self._demo_loaded, n)
        return n

    def _demo_loaded(self, n: int) -> None:
        self.notify(self.tr(f"已载入演示乡镇：{n} 个服务站", f"Demo township loaded: {n} stations"))
        self.refresh_areas()

    def refresh_areas(self) -> None:
        """The database changed behind the app's connection: redraw the visible area now; the
        others see the new store revision when they are next shown."""
        self.store.touch()
        reload = getattr(self.screen_stack[0], "reload", None)
        if callable(reload):
            reload()

    # -- the areas -------------------------------------------------------------------------------

    def action_dashboard(self) -> None:
        self.switch_mode("dashboard")

    def action_ledger(self) -> None:
        self.switch_mode("ledger")

    def action_plan(self) -> None:
        self.switch_mode("plan")

    def action_scoring(self) -> None:
        self.switch_mode("scoring")

    def action_batches(self) -> None:
        self.switch_mode("batches")

    def action_settings(self) -> None:
        self.switch_mode("settings")

    async def open_scoring(self, station_id: int) -> None:
        """Switch to the scoring area and start or resume scoring ``station_id``."""
        await self.switch_mode("scoring")
        base = self.screen_stack[0]
        result = base.open_station(station_id)  # type: ignore[attr-defined]
        if inspect.isawaitable(result):
            await result

    def action_help(self) -> None:
        from fieldtui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_palette(self) -> None:
        if CommandPalette.is_open(cast("App[object]", self)):
            return
        from fieldtui.screens.commands import FieldPalette

        self.push_screen(
            FieldPalette(
                placeholder=self.tr("输入命令或拼音，如：台账、tz、新增……", "Search for commands…"),
                no_matches=self.tr("没有匹配的命令", "No matches found"),
            )
        )


def frozen_today() -> dt.date | None:
    value = os.environ.get(ENV_TODAY)
    return dt.date.fromisoformat(value) if value else None


def run(
    home: Path, lang: str, *, settings: Settings | None = None, campaign: Campaign | None = None
) -> int:
    exit_when_ready = os.environ.get(ENV_EXIT_WHEN_READY, "") not in ("", "0")
    app = FieldApp(
        home,
        lang,
        today=frozen_today(),
        exit_when_ready=exit_when_ready,
        settings=settings,
        campaign=campaign,
        tune_gc=True,
        handle_signals=True,
    )
    app.run(headless=exit_when_ready)
    if app.backup_error:
        print(f"fieldtui: backup on quit failed: {app.backup_error}", file=sys.stderr)
        return 1
    return app.return_code or 0
