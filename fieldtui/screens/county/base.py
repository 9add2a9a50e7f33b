"""What the county app's screens share: the app, its language, stepping through periods."""

from __future__ import annotations

from typing import Any, Protocol

from textual.screen import Screen


class _OnApp(Protocol):
    @property
    def app(self) -> Any: ...


class CountyNode:
    """Mixin for the county app's screens and forms: ``app_`` is the CountyApp (its county
    store, campaign, clock), ``tr`` picks the interface language."""

    @property
    def app_(self: _OnApp) -> Any:
        return self.app

    def tr(self: _OnApp, zh: str, en: str) -> str:
        return str(self.app.tr(zh, en))


class PeriodScreen(CountyNode, Screen[None]):
    """A county screen showing one reporting period (``label``); ``[`` and ``]`` step through
    the campaign's periods and ``reload`` redraws."""

    def __init__(self) -> None:
        super().__init__()
        self.label = ""

    def reload(self) -> None:
        raise NotImplementedError

    def _step(self, step: int) -> None:
        labels = [p.label for p in self.app_.campaign.periods]
        i = labels.index(self.label) + step
        if 0 <= i < len(labels):
            self.label = labels[i]
            self.reload()

    def action_prev_period(self) -> None:
        self._step(-1)

    def action_next_period(self) -> None:
        self._step(1)
