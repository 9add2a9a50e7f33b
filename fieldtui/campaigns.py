"""Find, load and validate the campaign files; pick the active one."""

from __future__ import annotations

from pathlib import Path

from fieldtui.domain.rubric import Campaign, CampaignError, load_campaign_file
from fieldtui.paths import campaign_dirs

DEFAULT_CAMPAIGN = "fengdu-2023"


def load_all(home: Path | None) -> dict[str, Campaign]:
    """Every campaign file, validated. A bad file stops everything with its key named."""
    found: dict[str, Campaign] = {}
    for d in campaign_dirs(home):
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.toml")):
            c = load_campaign_file(path)
            if c.id in found:
                raise CampaignError("id", f"campaign {c.id} is defined twice", str(path))
            found[c.id] = c
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
