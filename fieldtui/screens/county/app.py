"""The county centre's app: ``fieldtui county`` with no sub-command.

Three areas as modes, each built the first time it is opened:

- **overview** (F2): a period's townships with their newest batch, lateness and rate against the
  target, the county's pooled rate, and the registered townships that sent nothing;
- **worklist** (F3): the spot-check draw of a period, re-scores, comparisons and verdicts;
- **scoring** (F5): the township's own scoring screen, on the county's re-scoring workbook.

The app provides what :class:`fieldtui.screens.context.AppServices` promises (``store`` is the
re-scoring workbook, a township-format store: see :mod:`fieldtui.county.workbook`), so the scoring
screen runs here unchanged; ``county`` is the county database.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from fieldtui.campaigns import active, load_all
from fieldtui.county.store import CountyStore, open_county
from fieldtui.domain.progress import china_now
from fieldtui.domain.rubric import Campaign
from fieldtui.screens.county import NAV_AREAS
from fieldtui.screens.keys import scoped, set_language
from fieldtui.settings import Settings, load_settings
from fieldtui.widgets.colours import mark_few_colours

if TYPE_CHECKING:
    from fieldtui.county.reviews import Entry
    from fieldtui.store.store import Store

AREAS: dict[str, tuple[str, str]] = {
    "overview": ("fieldtui.screens.county.overview", "CountyOverviewScreen"),
    "worklist": ("fieldtui.screens.county.worklist", "WorklistScreen"),
    "scoring": ("fieldtui.screens.scoring", "ScoringScreen"),
}


def _factory(mode: str) -> Callable[[], Screen[Any]]:
    def make() -> Screen[Any]:
        module_name, class_name = AREAS[mode]
        screen: Screen[Any] = getattr(importlib.import_module(module_name), class_name)()
        return screen

    make.__name__ = f"make_county_{mode}_screen"
    return make


@scoped("county")
class CountyApp(App[None]):
    """The county centre's app over ``county.sqlite3`` in the county home."""

    CSS_PATH = "county.tcss"
    SCOPE = "county"  # the help screen and the navigation bar use this scope's actions
    NAV_AREAS = NAV_AREAS
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {m: _factory(m) for m in AREAS}
    DEFAULT_MODE = "overview"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        home: Path,
        lang: str = "zh",
        *,
        now: dt.datetime | None = None,
        ansi_color: bool | None = None,
    ) -> None:
        """``ansi_color=True`` draws with the terminal's 16 colours (as on an old console)."""
        set_language(lang)
        super().__init__(ansi_color=ansi_color)
        self.home = home
        self.lang = lang
        self._now = now
        self.settings: Settings = load_settings(home)
        self.campaign: Campaign = active(home, str(self.settings.get("campaign")))
        self.campaigns: dict[str, Campaign] = load_all(home)
        self.county: CountyStore = open_county(home)
        self._store: Store | None = None
        self.title = self.tr("县级验收审核", "County review")
        self.set_keymap(self.settings.keymap())
        mark_few_colours(self)

    # -- what every screen may rely on ---------------------------------------------------------

    def now(self) -> dt.datetime:
        return self._now or china_now()

    def now_iso(self) -> str:
        return self.now().isoformat(timespec="milliseconds")

    def today(self) -> dt.date:
        return self.now().date()

    def tr(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    @property
    def store(self) -> Store:
        """The re-scoring workbook (opened when first needed)."""
        if self._store is None:
            from fieldtui.county.workbook import open_workbook

            self._store = open_workbook(self.home)
        return self._store

    @property
    def reviewer(self) -> str:
        return str(self.settings.get("officer") or "")

    def collect(self) -> list[str]:
        """Record county visits completed in the scoring screen since the last look."""
        from fieldtui.county.workbook import WORKBOOK_DIR, collect
        from fieldtui.store.db import DB_NAME

        if self._store is None and not (self.home / WORKBOOK_DIR / DB_NAME).exists():
            return []
        return collect(self.county, self.store, self.campaigns, self.now_iso()).problems

    async def open_rescore(self, entry: Entry) -> str | None:
        """Open a sampled station in the scoring screen; returns why not, or None."""
        from fieldtui.county.workbook import check_rubric, ensure_station
        from fieldtui.domain.errors import Refusal

        try:
            check_rubric(self.county, self.campaign, entry)
            local = ensure_station(self.county, self.store, entry)
        except Refusal as exc:
            return str(exc)
        await self.switch_mode("scoring")
        screen = self.get_screen_stack("scoring")[0]
        open_station = getattr(screen, "open_station", None)
        if open_station is None:
            return self.tr("评分界面不可用", "the scoring screen is not available")
        open_station(local)
        return None

    # -- the frame's conventions (fieldtui.app): shared colours, key names, help ---------------

    def get_css_variables(self) -> dict[str, str]:
        from fieldtui.app import _REFERENCE, shared_css_variables

        variables = super().get_css_variables()
        for name, value in shared_css_variables().items():
            variables.setdefault(
                name, _REFERENCE.sub(lambda m: variables.get(m.group(1), m.group(0)), value)
            )
        return variables

    def get_key_display(self, binding: Binding) -> str:
        from fieldtui.app import key_label

        return binding.key_display or key_label(binding.key)

    def action_help(self) -> None:
        from fieldtui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # -- keys ----------------------------------------------------------------------------------

    async def action_overview(self) -> None:
        await self.switch_mode("overview")

    async def action_worklist(self) -> None:
        await self.switch_mode("worklist")

    async def action_scoring(self) -> None:
        await self.switch_mode("scoring")

    def on_unmount(self) -> None:
        import contextlib

        # Let the scoring screen's writer finish, then record a county visit completed last.
        with contextlib.suppress(Exception):
            for screen in self.get_screen_stack("scoring"):
                flush = getattr(screen, "flush", None)
                if flush is not None:
                    flush()
        with contextlib.suppress(Exception):
            self.collect()
        if self._store is not None:
            self._store.close()
        self.county.close()


def run(home: Path, lang: str) -> int:
    CountyApp(home, lang).run()
    return 0
