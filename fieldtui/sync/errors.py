"""The refusals of the sync layer, in both interface languages."""

from __future__ import annotations

from fieldtui.domain.errors import Refusal


class SyncError(Refusal):
    """A refusal with a Chinese and an English message; ``str()`` gives the Chinese one."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh)
        self.zh = zh
        self.en = en

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


def message(exc: BaseException, lang: str) -> str:
    """The one-line message of a refusal from any layer, in ``lang`` where it has both."""
    if isinstance(exc, SyncError):
        return exc.text(lang)
    return str(exc)
