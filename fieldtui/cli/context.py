"""What every command shares: the home, the language, and lazily the settings, campaign and store."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldtui.domain.errors import Refusal

if TYPE_CHECKING:
    from fieldtui.domain.rubric import Campaign
    from fieldtui.settings import Settings
    from fieldtui.store.store import Store


class CliError(Exception):
    """A refusal with its exit code; the message is printed as one line."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


class Context:
    def __init__(self, home: Path, lang: str | None) -> None:
        self.home = home
        self._lang = lang
        self._settings: Settings | None = None
        self._campaign: Campaign | None = None
        self._store: Store | None = None

    @classmethod
    def from_args(cls, args: Any) -> Context:
        from fieldtui.paths import default_home

        home = Path(args.home).expanduser() if getattr(args, "home", None) else default_home()
        return cls(home, getattr(args, "lang", None))

    # -- lazily built parts --------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from fieldtui.settings import load_settings

            self._settings = load_settings(self.home)
        return self._settings

    @property
    def lang(self) -> str:
        if self._lang:
            return self._lang
        env = os.environ.get("FIELDTUI_LANG")
        if env in ("zh", "en"):
            return env
        try:
            return str(self.settings.get("lang"))
        except Refusal:
            return "zh"

    @property
    def campaign(self) -> Campaign:
        if self._campaign is None:
            from fieldtui.campaigns import active

            s = self.settings
            self._campaign = active(self.home, str(s.get("campaign")), str(s.path))
        return self._campaign

    @property
    def store(self) -> Store:
        if self._store is None:
            from fieldtui.store.store import open_store

            self._store = open_store(self.home, before_migrate=self._backup_before_migrate)
        return self._store

    def _backup_before_migrate(self, path: Path, version: int) -> None:
        from fieldtui.store.backup import backup_before_migration

        backup_before_migration(path, version, keep=int(self.settings.get("backup.keep")))

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- output --------------------------------------------------------------------------------

    def t(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    def out(self, text: str = "") -> None:
        print(text)

    def emit_json(self, obj: dict[str, Any]) -> None:
        import json

        sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")

    def known_error(self, exc: BaseException) -> str | None:
        """The one-line message for a refusal from any layer, or None for a bug."""
        if isinstance(exc, Refusal):
            return str(exc)
        if isinstance(exc, sqlite3.OperationalError):
            if getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_FULL", "SQLITE_IOERR")):
                return self.t(
                    f"数据库写入失败，未保存（磁盘已满或无法写入）：{exc}",
                    f"database write failed, not saved (the disk is full or cannot be "
                    f"written): {exc}",
                )
            return self.t(
                f"数据库写入失败，未保存：{exc}", f"database write failed, not saved: {exc}"
            )
        if isinstance(exc, OSError) and exc.filename:
            return f"{exc.filename}: {exc.strerror or exc}"
        return None

    def station(self, ref: str) -> Any:
        st = self.store.stations.find(ref)
        if st is None:
            raise CliError(self.t(f"台账中没有服务站“{ref}”", f"no station {ref!r} in the ledger"))
        return st
