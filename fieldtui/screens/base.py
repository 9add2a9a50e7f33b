"""What every area's screen shares: the app's services, the language, a short description."""

from __future__ import annotations

from typing import ClassVar

from textual.screen import Screen

from fieldtui.screens.context import AppServices, services


class FieldScreen(Screen[None]):
    """An area of the app (a mode's base screen).

    ``SCOPE`` names its actions in the action table; ``DESCRIPTION`` (zh, en) is shown by the
    help screen. The scoring and batches screens may define the same two attributes without
    deriving from this class: the help screen reads them with ``getattr``.
    """

    SCOPE: ClassVar[str] = ""
    DESCRIPTION: ClassVar[tuple[str, str]] = ("", "")

    @property
    def svc(self) -> AppServices:
        return services(self)

    def tr(self, zh: str, en: str) -> str:
        return services(self).tr(zh, en)
