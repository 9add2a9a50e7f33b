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


class SettingMissing(SyncError):
    """A setting the operation needs is not set.

    The message is for the command line and says how to set it there (``fieldtui config set``);
    ``key`` names the setting, so that the app can point to its own Settings screen instead.
    """

    def __init__(self, key: str, zh: str, en: str) -> None:
        super().__init__(zh, en)
        self.key = key


def message(exc: BaseException, lang: str) -> str:
    """The one-line message of a refusal from any layer, in ``lang`` where it has both."""
    if isinstance(exc, SyncError):
        return exc.text(lang)
    return str(exc)
