"""The campaign file against the notice, and the loader's refusals."""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from fieldtui.domain.rubric import CHINA_TZ, CampaignError, load_campaign_bytes, parse_campaign
from fieldtui.paths import config_dir

SEED = Path(__file__).resolve().parents[2] / "docs" / "source" / "notice-fengdu-2023-7.txt"
CAMPAIGN_FILE = config_dir() / "campaigns" / "fengdu-2023.toml"


@pytest.fixture
def raw() -> dict[str, Any]:
    return tomllib.loads(CAMPAIGN_FILE.read_text(encoding="utf-8"))


def test_totals_and_structure_match_the_notice(campaign) -> None:  # type: ignore[no-untyped-def]
    c = campaign
    assert c.doc_number == "丰退役军人局发〔2023〕7号"
    assert len(c.items) == 57
    assert [it.number for it in c.items] == list(range(1, 58))
    assert sum(it.max for it in c.items) == 100 == c.total
    assert [cat.subtotal for cat in c.categories] == [5, 25, 14, 7, 22, 10, 5, 5, 4, 1, 2]
    assert [cat.name for cat in c.categories][:3] == ["组织领导", "工作保障", "思政引领"]
    assert c.categories[-1].name == "服务满意度"
    assert c.categories[1].items == tuple(range(4, 18))
    assert c.pass_mark == 90 and c.bonus_cap == 10 and c.partial_scores is False
    assert c.mailbox == "240960637@qq.com"
    assert [b.number for b in c.bonus] == [58, 59, 60]
    assert [lv.points for lv in c.bonus[0].levels] == [4, 3, 2]
    assert [lv.key for lv in c.bonus[1].levels] == ["national", "provincial", "prefectural"]
    assert c.bonus[2].allowed_points() == (0.5, 1.0, 1.5, 2.0)
    assert c.veto_number == 61 and len(c.veto_conditions) == 4


def test_item_texts_are_verbatim_from_the_notice(campaign) -> None:  # type: ignore[no-untyped-def]
    if not SEED.exists():
        pytest.fail(f"seed notice missing at {SEED}")
    seed = SEED.read_text(encoding="utf-8")
    for it in campaign.items:
        assert it.text in seed, f"item {it.number} text not found verbatim in the notice"
        # the maximum printed after the text in the notice's table
        m = re.search(re.escape(it.text) + r"\s*\n\s*(\d+)", seed)
        assert m and float(m.group(1)) == it.max, f"item {it.number} maximum"
        assert it.text_en and it.text_en != it.text
    for v in campaign.veto_conditions:
        assert v.text in seed


def test_periods_targets_and_deadlines(campaign) -> None:  # type: ignore[no-untyped-def]
    p = {x.label: x for x in campaign.periods}
    assert list(p) == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    assert [x.target for x in p.values()] == [0.25, 0.5, 0.75, 1.0]
    assert p["2023Q1"].last == dt.date(2023, 4, 30)
    assert p["2023Q2"].first == dt.date(2023, 5, 1) and p["2023Q2"].last == dt.date(2023, 6, 30)
    assert p["2023Q4"].due == dt.datetime(2023, 12, 31, 23, 59, tzinfo=CHINA_TZ)
    assert campaign.period_of(dt.date(2023, 4, 30)).label == "2023Q1"
    assert campaign.period_of(dt.date(2023, 5, 1)).label == "2023Q2"
    assert campaign.plan_months()[0] == "2023-03" and campaign.plan_months()[-1] == "2023-12"


def test_needed_is_ceiling_of_target_times_stations(campaign) -> None:  # type: ignore[no-untyped-def]
    q1, q2, q3, q4 = campaign.periods
    assert q1.needed(10) == 3  # ceil(2.5)
    assert q1.needed(8) == 2
    assert q3.needed(4) == 3  # 0.75*4 is exactly 3, not 3.0000000001
    assert q2.needed(0) == 0
    assert q4.needed(7) == 7


def test_hash_covers_structure_not_wording(raw: dict[str, Any]) -> None:
    base = parse_campaign(raw)
    reworded = copy.deepcopy(raw)
    reworded["items"][6]["text"] = "足额保障工作经费。"  # a typo fix
    reworded["items"][6]["text_en"] = "Funds."
    reworded["title"] = "改了标题"
    assert parse_campaign(reworded).rubric_hash == base.rubric_hash

    moved = copy.deepcopy(raw)
    moved["scoring"]["pass_mark"] = 85
    assert parse_campaign(moved).rubric_hash != base.rubric_hash
    retargeted = copy.deepcopy(raw)
    retargeted["periods"][0]["target"] = 0.3
    assert parse_campaign(retargeted).rubric_hash != base.rubric_hash


def _mutations() -> list[tuple[str, Any, str]]:
    """(description, mutation, key the message must name)."""

    def set_(path: list[Any], value: Any) -> Any:
        def apply(d: dict[str, Any]) -> None:
            target = d
            for k in path[:-1]:
                target = target[k]
            target[path[-1]] = value

        return apply

    def drop(path: list[Any]) -> Any:
        def apply(d: dict[str, Any]) -> None:
            target = d
            for k in path[:-1]:
                target = target[k]
            del target[path[-1]]

        return apply

    return [
        ("item max changed so sums break", set_(["items", 0, "max"], 2), "scoring.total"),
        ("declared total wrong", set_(["scoring", "total"], 99), "scoring.total"),
        ("subtotal wrong", set_(["categories", 1, "subtotal"], 24), "categories[1].subtotal"),
        ("duplicate item number", set_(["items", 1, "number"], 1), "items[1].number"),
        ("bonus level above max", set_(["bonus", 0, "levels", 0, "points"], 5), "points"),
        ("targets not rising", set_(["periods", 2, "target"], 0.5), "periods[2].target"),
        ("target above 1", set_(["periods", 3, "target"], 1.5), "periods[3].target"),
        ("gap between periods", set_(["periods", 1, "first"], dt.date(2023, 5, 2)), "periods[1].first"),
        ("unknown key", set_(["colour"], "red"), "colour"),
        ("missing mailbox", drop(["mailbox"]), "mailbox"),
        ("bad mailbox", set_(["mailbox"], "not-an-address"), "mailbox"),
        ("text empty", set_(["items", 3, "text"], " "), "items[3].text"),
        ("max as text", set_(["items", 3, "max"], "1"), "items[3].max"),
        ("boolean as a number", set_(["scoring", "pass_mark"], True), "scoring.pass_mark"),
        ("step not allowed", set_(["scoring", "score_step"], 0.3), "scoring.score_step"),
        ("veto numbering", set_(["veto", "number"], 62), "veto.number"),
        ("pass mark above total", set_(["scoring", "pass_mark"], 101), "scoring.pass_mark"),
        ("item in no category", set_(["items", 56, "category"], 12), "items[56].category"),
        ("discretionary step", set_(["bonus", 2, "discretionary", "step"], 0.3), "discretionary"),
        ("due before last day", set_(["periods", 0, "due"], dt.datetime(2023, 4, 1, tzinfo=CHINA_TZ)), "periods[0].due"),
    ]  # fmt: skip


@pytest.mark.parametrize(("what", "mutate", "key"), _mutations(), ids=[m[0] for m in _mutations()])
def test_bad_campaign_refused_naming_the_key(raw: dict[str, Any], what: str, mutate: Any, key: str) -> None:  # fmt: skip
    bad = copy.deepcopy(raw)
    mutate(bad)
    with pytest.raises(CampaignError) as exc:
        parse_campaign(bad, "bad.toml")
    assert key in str(exc.value), f"{what}: message {exc.value} does not name {key}"
    assert "bad.toml" in str(exc.value)


def test_syntax_and_encoding_errors_are_refusals() -> None:
    with pytest.raises(CampaignError, match="syntax"):
        load_campaign_bytes(b"id = [", "x.toml")
    with pytest.raises(CampaignError, match="UTF-8"):
        load_campaign_bytes("id = '丰都'".encode("gbk"), "x.toml")


def test_packaged_campaign_loads_through_the_registry(home: Path) -> None:
    from fieldtui.campaigns import active, load_all

    assert "fengdu-2023" in load_all(home)
    # A new year's notice dropped into the home is picked up and validated.
    (home / "campaigns").mkdir()
    text = CAMPAIGN_FILE.read_text(encoding="utf-8").replace('id = "fengdu-2023"', 'id = "x-2024"')
    (home / "campaigns" / "x-2024.toml").write_text(text, encoding="utf-8")
    assert active(home, "x-2024").id == "x-2024"
    with pytest.raises(CampaignError, match="nope"):
        active(home, "nope")
