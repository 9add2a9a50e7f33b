"""The validated-campaign cache: fast starts, and never a campaign that was not validated."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from fieldtui import campaigns
from fieldtui.campaigns import active, cache_path, load_all
from fieldtui.domain.rubric import CampaignError
from fieldtui.paths import config_dir

SHIPPED = config_dir() / "campaigns" / "fengdu-2023.toml"


def own_campaign(home: Path, text: str | None = None) -> Path:
    """A second campaign in the home (id x-2024), a copy of the shipped one unless ``text``."""
    path = home / "campaigns" / "x-2024.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        text = SHIPPED.read_text(encoding="utf-8").replace('id = "fengdu-2023"', 'id = "x-2024"')
    path.write_text(text, encoding="utf-8")
    return path


def test_a_validated_campaign_is_kept_and_read_back_without_parsing(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = active(home)
    assert cache_path(home).is_file()

    def no_parsing(raw: bytes, source: str) -> None:
        raise AssertionError(f"parsed {source} although it was cached")

    monkeypatch.setattr(campaigns, "load_campaign_bytes", no_parsing)
    again = active(home)
    assert again == first
    assert again.rubric_hash == first.rubric_hash
    assert again.item(3).max == first.item(3).max


def test_a_changed_file_is_validated_again_and_a_bad_one_refused(home: Path) -> None:
    path = own_campaign(home)
    assert active(home, "x-2024").title == active(home).title
    text = path.read_text(encoding="utf-8")
    # Same size, new content: the checksum tells them apart even if the clock does not.
    stat = path.stat()
    path.write_text(text.replace("pass_mark = 90", "pass_mark = 95"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert active(home, "x-2024").pass_mark == 95
    # A wrong file is refused, however recently its former version was cached.
    path.write_text(text.replace("pass_mark = 90", "pass_mark = 190"), encoding="utf-8")
    with pytest.raises(CampaignError, match="pass_mark"):
        active(home, "x-2024")


def test_a_removed_file_is_no_longer_offered(home: Path) -> None:
    path = own_campaign(home)
    assert "x-2024" in load_all(home)
    path.unlink()
    assert "x-2024" not in load_all(home)


def test_a_damaged_or_foreign_cache_is_ignored_and_never_run(home: Path) -> None:
    expected = active(home)
    cache_path(home).write_bytes(b"not a pickle at all")
    assert active(home) == expected

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("echo pwned > pwned.txt",))

    cache_path(home).write_bytes(pickle.dumps((campaigns._loader_version(), {"k": Boom()})))
    assert active(home) == expected
    assert not Path("pwned.txt").exists() and not (home / "pwned.txt").exists()
    assert campaigns._read_cache(home)  # rewritten with the validated campaign


def test_a_new_loader_validates_again(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    active(home)
    parsed: list[str] = []
    real = campaigns.load_campaign_bytes

    def counting(raw: bytes, source: str):  # type: ignore[no-untyped-def]
        parsed.append(source)
        return real(raw, source)

    monkeypatch.setattr(campaigns, "load_campaign_bytes", counting)
    monkeypatch.setattr(campaigns, "CACHE_FORMAT", campaigns.CACHE_FORMAT + 1)
    active(home)
    assert parsed == [str(SHIPPED)]


def test_a_cache_that_cannot_be_written_still_starts(home: Path) -> None:
    (home / "cache").write_text("a file where the cache folder would go")
    assert active(home).id == "fengdu-2023"
    assert active(home).id == "fengdu-2023"
    assert list(home.glob("cache*")) == [home / "cache"]
