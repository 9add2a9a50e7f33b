"""A small app that hosts only the batches screen, with the services the real app provides."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual.app import App

from fieldtui.campaigns import active
from fieldtui.screens import keys
from fieldtui.settings import load_settings
from fieldtui.store.store import open_store


class BatchesHarness(App[None]):
    """Provides home, lang, store, campaign, settings, today() and tr() like FieldApp."""

    def __init__(self, home: Path, lang: str = "zh", today: dt.date = dt.date(2023, 6, 20),
                 push_config: object = None) -> None:  # fmt: skip
        keys.set_language(lang)
        super().__init__()
        self.home = home
        self.lang = lang
        self.settings = load_settings(home)
        self.campaign = active(home, str(self.settings.get("campaign")))
        self.store = open_store(home)
        self._today = today
        self._push_config = push_config

    def today(self) -> dt.date:
        return self._today

    def tr(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    def on_mount(self) -> None:
        from fieldtui.screens.batches import BatchesScreen

        screen = BatchesScreen()
        screen.push_config = self._push_config
        self.push_screen(screen)

    def on_unmount(self) -> None:
        self.store.close()


if __name__ == "__main__":  # manual look: python -m tests.batches.harness HOME [zh|en]
    import sys

    BatchesHarness(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "zh").run()
