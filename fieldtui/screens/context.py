"""What a screen may ask of the app it runs in.

The real app (fieldtui.app.FieldApp) and the test harnesses both provide these attributes, so a
screen can be built and tested on its own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from fieldtui.domain.rubric import Campaign
    from fieldtui.settings import Settings
    from fieldtui.store.store import Store


class AppServices(Protocol):
    home: Path
    lang: str
    store: Store
    campaign: Campaign
    settings: Settings

    def today(self) -> dt.date:
        """The officer's today (+08:00); tests freeze it."""
        ...

    def tr(self, zh: str, en: str) -> str:
        """The text in the interface language."""
        ...


def services(node: DOMNode) -> AppServices:
    return cast("AppServices", node.app)
