"""Settings: one schema lists every key; ``settings.toml`` in the home directory holds the values.

Anything not in the schema is refused with the key named. The file is written atomically with
``tomli_w`` and created with mode 0600 on POSIX, because it holds the county token and the SMTP
password. Secrets never appear in messages or ``repr``.
"""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fieldtui.actions import ACTION_IDS, parse_keys
from fieldtui.domain.errors import Refusal

SETTINGS_NAME = "settings.toml"


class SettingsError(Refusal):
    def __init__(self, key: str, problem: str, source: str = "") -> None:
        self.key = key
        self.problem = problem
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {problem}")


def _choice(*allowed: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if not isinstance(v, str) or v not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return v

    return check


def _text(limit: int = 200) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise ValueError("must be text")
        v = v.strip()
        if len(v) > limit:
            raise ValueError(f"longer than {limit} characters")
        if any(ord(ch) < 32 for ch in v):
            raise ValueError("contains control characters")
        return v

    return check


PHONE_PROBLEM = "must be an 11-digit mobile or a landline with its area code, such as 023-12345678"


def _phone(v: Any) -> str:
    """The officer's phone, by the ledger's rule (fieldtui.domain.ledger.normalise_phone), in its
    canonical form. No campaign is at hand to lend an area code, so a landline needs its own."""
    text = _text(30)(v)
    if not text:
        return ""
    from fieldtui.domain.ledger import normalise_phone

    phone = normalise_phone(text, "")
    if phone is None or phone.startswith("-"):
        raise ValueError(PHONE_PROBLEM)
    return phone


class Secret:
    """A secret setting's value (the county token, the SMTP password), masked everywhere.

    ``repr`` and ``str`` never show it, so a crash report that prints the locals of each frame
    (Textual's does) or a log line cannot either; ``reveal()`` hands it over at the one place
    that needs it (the request header, the SMTP login), without binding it to a local there.
    """

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value.reveal() if isinstance(value, Secret) else value

    def reveal(self) -> Any:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return bool(self._value == other._value)
        if isinstance(other, str):
            return bool(self._value == other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('******')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return "******" if self._value else ""


def _secret(v: Any) -> Secret:
    # Checked through the wrapper: no local of this frame holds the secret when a check fails.
    v = Secret(v)
    if not isinstance(v.reveal(), str):
        raise ValueError("must be text")
    if len(v.reveal()) > 4096 or any(ord(ch) < 32 for ch in v.reveal().strip()):
        raise ValueError("is not a valid secret (too long or has control characters)")
    return Secret(v.reveal().strip())


def _url(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("must be text")
    v = v.strip().rstrip("/")
    if not v:
        return ""
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// address")
    return v


def _port(v: Any) -> int:
    if isinstance(v, str) and v.strip().isdigit():
        v = int(v.strip())
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 65535:
        raise ValueError("must be a port number 1..65535")
    return v


def _count(lo: int, hi: int) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v.strip())
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"must be a whole number {lo}..{hi}")
        return v

    return check


def _path(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("must be a file path")
    return v.strip()


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of the settings schema: how its value is checked, and its default."""

    key: str
    check: Callable[[Any], Any]
    default: Any
    zh: str
    en: str
    secret: bool = False


SCHEMA: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting("unit", _text(60), "", "填报单位（镇乡/街道）", "Reporting unit (township)"),
        Setting("officer", _text(30), "", "经办人", "Officer"),
        Setting("phone", _phone, "", "经办人联系电话", "Officer's phone"),
        Setting("lang", _choice("zh", "en"), "zh", "界面语言", "Interface language"),
        Setting("campaign", _text(60), "", "当前验收方案", "Active campaign"),
        Setting("endpoint", _url, "", "县级接收地址", "County endpoint URL"),
        Setting("token", _secret, "", "县级接收令牌", "County endpoint token", secret=True),
        Setting("ca_file", _path, "", "县级服务器CA证书文件", "CA certificate for the county"),
        Setting("smtp.host", _text(200), "", "SMTP服务器", "SMTP host"),
        Setting("smtp.port", _port, 465, "SMTP端口", "SMTP port"),
        Setting("smtp.user", _text(200), "", "SMTP账号", "SMTP user"),
        Setting(
            "smtp.password", _secret, "", "SMTP密码/授权码", "SMTP password or code", secret=True
        ),
        Setting(
            "smtp.security",
            _choice("ssl", "starttls", "none"),
            "ssl",
            "SMTP加密方式",
            "SMTP security",
        ),
        Setting("smtp.from", _text(200), "", "发件人地址", "Sender address"),
        Setting("smtp.ca_file", _path, "", "SMTP服务器CA证书文件", "CA certificate for SMTP"),
        Setting("backup.keep", _count(1, 100), 10, "保留备份份数", "Backups to keep"),
    ]
}
TABLES = {"smtp", "backup", "keymap"}


def _flatten(data: dict[str, Any], source: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "keymap":
            if not isinstance(value, dict):
                raise SettingsError("keymap", 'must be a table of action = "keys"', source)
            for action, keys in value.items():
                flat[f"keymap.{action}"] = keys
        elif isinstance(value, dict):
            if key not in TABLES:
                raise SettingsError(key, "unknown table", source)
            for sub, v in value.items():
                if isinstance(v, dict):
                    raise SettingsError(f"{key}.{sub}", "unknown table", source)
                flat[f"{key}.{sub}"] = v
        else:
            flat[key] = value
    return flat


def check_value(key: str, value: Any, source: str = "") -> Any:
    """Validate one setting; return the normalised value. Raises SettingsError naming the key."""
    if key.startswith("keymap."):
        action = key.removeprefix("keymap.")
        if action not in ACTION_IDS:
            raise SettingsError(key, "unknown action (see `fieldtui keys`)", source)
        if not isinstance(value, str):
            raise SettingsError(key, 'must be text such as "f5" or "ctrl+s,f2"', source)
        try:
            return ",".join(parse_keys(value))
        except ValueError as exc:
            raise SettingsError(key, str(exc), source) from None
    spec = SCHEMA.get(key)
    if spec is None:
        raise SettingsError(key, "unknown setting (see `fieldtui config list`)", source)
    if spec.secret:
        value = Secret(value)  # from here on, no local holds the secret itself
    try:
        return spec.check(value)
    except ValueError as exc:
        raise SettingsError(key, str(exc), source) from None


@dataclass
class Settings:
    """The settings of one home: the values read from settings.toml, checked."""

    path: Path
    values: dict[str, Any] = field(default_factory=dict)
    world_readable: bool = False

    def get(self, key: str) -> Any:
        if key in self.values:
            return self.values[key]
        if key.startswith("keymap."):
            return None
        if key not in SCHEMA:
            raise SettingsError(key, "unknown setting (see `fieldtui config list`)")
        spec = SCHEMA[key]
        return Secret(spec.default) if spec.secret else spec.default

    def keymap(self) -> dict[str, str]:
        return {
            k.removeprefix("keymap."): v for k, v in self.values.items() if k.startswith("keymap.")
        }

    def token(self) -> Secret:
        """The county token: FIELDTUI_TOKEN if set, else the stored one (masked until revealed).

        A token stored in a file that other users can read is refused (SettingsError).
        """
        if os.environ.get("FIELDTUI_TOKEN"):
            return check_value("token", Secret(os.environ["FIELDTUI_TOKEN"]), "FIELDTUI_TOKEN")
        if self.get("token") and self.world_readable:
            raise SettingsError(
                "token",
                f"{self.path} can be read by other users; run `chmod 600 {self.path}` "
                "(the token is not used until then)",
            )
        return Secret(self.get("token"))

    def set(self, key: str, value: Any) -> None:
        """Check and set one value. Pass a secret as a :class:`Secret` to keep it out of this
        frame's locals should the check fail."""
        spec = SCHEMA.get(key)
        if spec is not None and spec.secret:
            value = Secret(value)
        self.values[key] = check_value(key, value, str(self.path))

    def unset(self, key: str) -> None:
        if key not in SCHEMA and not key.startswith("keymap."):
            raise SettingsError(key, "unknown setting")
        self.values.pop(key, None)

    def display(self, key: str) -> str:
        """The value as shown to a person: secrets masked."""
        value = self.get(key)
        spec = SCHEMA.get(key)
        if spec is not None and spec.secret:
            return "******" if value else ""
        return str(value)

    def __repr__(self) -> str:  # keep secrets out of tracebacks and logs
        return f"Settings(path={str(self.path)!r}, keys={sorted(self.values)})"

    def save(self) -> None:
        """Write settings.toml atomically, mode 0600. A failed write is a SettingsError naming
        the file; the file's bytes (secrets included) are never held in this frame's locals."""
        try:
            # A memoryview's repr shows no bytes: a traceback through atomic_write stays clean.
            atomic_write(self.path, memoryview(self._toml()), private=True)
        except OSError as exc:
            raise SettingsError(
                "(file)", f"cannot write: {exc.strerror or exc}; nothing was saved", str(self.path)
            ) from None
        self.world_readable = False

    def _toml(self) -> bytes:
        import tomli_w  # only on write

        nested: dict[str, Any] = {}
        for key in sorted(self.values):
            value = self.values[key]
            if isinstance(value, Secret):
                value = value.reveal()
            if "." in key:
                table, sub = key.split(".", 1)
                nested.setdefault(table, {})[sub] = value
            else:
                nested[key] = value
        return tomli_w.dumps(nested).encode("utf-8")


def atomic_write(path: Path, data: bytes | memoryview, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600 if private else 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if private and os.name == "posix":
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if os.name == "posix":
        try:
            dfd = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)


def _read(path: Path) -> dict[str, Any] | None:
    """The parsed file with its secrets already wrapped (None if there is no file). The text is
    never bound to a local, so a refusal raised here or later shows no secret in a traceback."""
    try:
        return _wrap_secrets(tomllib.loads(path.read_bytes().decode("utf-8-sig")))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsError("(file)", f"cannot read: {exc.strerror or exc}", str(path)) from None
    except UnicodeDecodeError:
        raise SettingsError("(file)", "not UTF-8 text", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError("(syntax)", str(exc), str(path)) from None


def _wrap_secrets(data: dict[str, Any]) -> dict[str, Any]:
    for key, spec in SCHEMA.items():
        if not spec.secret:
            continue
        table, _, sub = key.rpartition(".")
        holder = data.get(table) if table else data
        if isinstance(holder, dict) and sub in holder:
            holder[sub] = Secret(holder[sub])
    return data


def load_settings(home: Path) -> Settings:
    """Read ``home/settings.toml`` (absent means defaults). Raises SettingsError on a bad file."""
    path = home / SETTINGS_NAME
    settings = Settings(path=path)
    data = _read(path)
    if data is None:
        return settings
    for key, value in _flatten(data, str(path)).items():
        settings.values[key] = check_value(key, value, str(path))
    if os.name == "posix" and sys.platform != "cygwin":
        mode = path.stat().st_mode
        settings.world_readable = bool(mode & (stat.S_IRWXG | stat.S_IRWXO))
    return settings
