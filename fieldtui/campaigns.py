"""Find, load and validate the campaign files; pick the active one.

Every start validates the campaign files, but parsing and checking the TOML is a tenth of the
app's own start-up, so a campaign that passed validation is kept in ``<home>/cache/campaigns.pickle``
keyed by its file's path, size, modification time and a checksum of its bytes (plus the loader's
own version). A file that changed in any of these is parsed and validated again, and a bad one
refused as always; only a campaign that passed validation ever enters the cache. The cache is
read with an unpickler that builds nothing but the rubric's own classes and dates, and any
problem with it (missing, stale, damaged, unwritable) just means validating the files.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import zlib
from pathlib import Path
from typing import Any

from fieldtui.domain import rubric
from fieldtui.domain.rubric import Campaign, CampaignError, load_campaign_bytes
from fieldtui.paths import campaign_dirs

DEFAULT_CAMPAIGN = "fengdu-2023"
CACHE_FORMAT = 1
CACHE_NAME = "campaigns.pickle"

FileKey = tuple[str, int, int, int]  # path, size, mtime_ns, crc32 of the bytes


def load_all(home: Path | None) -> dict[str, Campaign]:
    """Every campaign file, validated. A bad file stops everything with its key named."""
    cached = _read_cache(home)
    used: dict[FileKey, Campaign] = {}
    found: dict[str, Campaign] = {}
    for d in campaign_dirs(home):
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.toml")):
            raw, key = _read(path)
            c = cached.get(key)
            if c is None:
                c = load_campaign_bytes(raw, str(path))
            used[key] = c
            if c.id in found:
                raise CampaignError("id", f"campaign {c.id} is defined twice", str(path))
            found[c.id] = c
    if home is not None and used != cached:
        _write_cache(home, used)
    return found


def active(home: Path | None, wanted: str = "", source: str = "") -> Campaign:
    """The campaign named by the ``campaign`` setting (or the default). ``source`` names the
    settings file the wanted id comes from, for the message if there is no such campaign."""
    allc = load_all(home)
    cid = wanted or DEFAULT_CAMPAIGN
    if cid not in allc:
        if not wanted and len(allc) == 1:
            return next(iter(allc.values()))
        known = ", ".join(sorted(allc)) or "none"
        raise CampaignError(
            "campaign", f"no campaign {cid!r} (known: {known})", source if wanted else ""
        )
    return allc[cid]


# -- the validated-campaign cache ------------------------------------------------------------------


def _read(path: Path) -> tuple[bytes, FileKey]:
    try:
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            raw = f.read()
    except OSError as exc:
        raise CampaignError("(file)", f"cannot read: {exc.strerror or exc}", str(path)) from None
    return raw, (str(path), len(raw), st.st_mtime_ns, zlib.crc32(raw))


def cache_path(home: Path) -> Path:
    return home / "cache" / CACHE_NAME


def _loader_version() -> tuple[int, int, int]:
    """Changes whenever the loader's code does (an upgrade, an edit): a campaign validated by an
    older loader is validated again."""
    try:
        st = os.stat(rubric.__file__)
        return (CACHE_FORMAT, st.st_mtime_ns, st.st_size)
    except OSError:
        return (CACHE_FORMAT, 0, 0)


class _RubricUnpickler(pickle.Unpickler):
    """Builds only the campaign's own classes and dates: the cache cannot run code."""

    ALLOWED = frozenset(
        {
            ("datetime", "date"),
            ("datetime", "datetime"),
            ("datetime", "timedelta"),
            ("datetime", "timezone"),
            *(
                ("fieldtui.domain.rubric", n)
                for n in (
                    "Campaign",
                    "Category",
                    "Item",
                    "BonusLevel",
                    "BonusItem",
                    "VetoCondition",
                    "Period",
                )
            ),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the campaign cache")
        return super().find_class(module, name)


def _read_cache(home: Path | None) -> dict[FileKey, Campaign]:
    if home is None:
        return {}
    try:
        data = cache_path(home).read_bytes()
        version, entries = _RubricUnpickler(io.BytesIO(data)).load()
    except Exception:  # missing, damaged or foreign: validate the files instead
        return {}
    if version != _loader_version() or not isinstance(entries, dict):
        return {}
    return {k: c for k, c in entries.items() if isinstance(c, Campaign)}


def _write_cache(home: Path, entries: dict[FileKey, Campaign]) -> None:
    path = cache_path(home)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(pickle.dumps((_loader_version(), entries), pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:  # a read-only home: the next start validates the files again
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
