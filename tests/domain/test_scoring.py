"""Every scoring rule of the notice, with its numbers, plus properties under hypothesis."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldtui.campaigns import active
from fieldtui.domain.rubric import Campaign, parse_campaign
from fieldtui.domain.scoring import (
    BonusEntry,
    ScoreError,
    Sheet,
    bonus_total,
    check_bonus,
    check_score,
    check_sheet,
    check_veto,
    compute,
    counted_bonus,
    full_marks,
    normalise_matter,
)
from fieldtui.paths import config_dir

C = active(None)


def partial_campaign() -> Campaign:
    raw = tomllib.loads((config_dir() / "campaigns" / "fengdu-2023.toml").read_text("utf-8"))
    raw = copy.deepcopy(raw)
    raw["scoring"]["partial_scores"] = True
    return parse_campaign(raw)


P = partial_campaign()


def sheet(lost: tuple[int, ...] = (), **kw: Any) -> Sheet:
    scores = full_marks(C)
    for n in lost:
        scores[n] = 0.0
    return Sheet(scores=scores, **kw)


def test_full_marks_is_100_and_passes() -> None:
    r = compute(C, sheet())
    assert (r.base, r.bonus, r.total, r.passed, r.complete) == (100, 0, 100, True, True)
    assert r.subtotals == (5, 25, 14, 7, 22, 10, 5, 5, 4, 1, 2)


def test_pass_mark_is_inclusive_at_90() -> None:
    # Items 6, 7, 9 (3 each) and 2 (2): 100 - 11 = 89 fails; without item 2 lost: 91.
    assert compute(C, sheet((6, 7, 9, 2))).total == 89
    assert not compute(C, sheet((6, 7, 9, 2))).passed
    exactly_90 = sheet((6, 7, 9, 1))  # 3+3+3+1 = 10 lost
    assert compute(C, exactly_90).total == 90
    assert compute(C, exactly_90).passed


def test_bonus_counts_toward_the_pass_mark() -> None:
    s = sheet((6, 7, 9, 2), bonus=(BonusEntry(58, 2, "简报宣传", "prefectural"),))
    r = compute(C, s)
    assert (r.base, r.bonus, r.total, r.passed) == (89, 2, 91, True)


def test_veto_fails_whatever_the_score() -> None:
    r = compute(C, sheet(bonus=(BonusEntry(58, 4, "a", "central"),), veto=frozenset({2})))
    assert r.total == 104 and r.veto and not r.passed


def test_incomplete_never_passes_and_lists_unscored() -> None:
    scores = full_marks(C)
    del scores[30]
    del scores[57]
    r = compute(C, Sheet(scores=scores))
    assert not r.complete and not r.passed
    assert r.unscored == (30, 57)
    assert r.total == 98


def test_partial_score_refused_under_this_campaign() -> None:
    with pytest.raises(ScoreError, match="partial"):
        check_score(C, 6, 1.5)
    with pytest.raises(ScoreError, match="partial"):
        check_score(C, 6, 1)
    assert check_score(C, 6, 3) == 3.0
    assert check_score(C, 6, 0) == 0.0
    assert C.allowed_scores(6) == (0.0, 3.0)


def test_partial_scores_in_half_steps_where_allowed() -> None:
    assert check_score(P, 6, 1.5) == 1.5
    assert P.allowed_scores(6) == (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
    with pytest.raises(ScoreError, match="multiple"):
        check_score(P, 6, 1.25)
    with pytest.raises(ScoreError, match="outside"):
        check_score(P, 6, 3.5)


@pytest.mark.parametrize("bad", [-1, 4, float("nan"), float("inf"), True, "3", None])
def test_bad_scores_refused(bad: Any) -> None:
    with pytest.raises(ScoreError):
        check_score(C, 6, bad)


def test_unknown_item_refused() -> None:
    with pytest.raises(ScoreError, match="no such"):
        check_score(C, 58, 4)
    with pytest.raises(ScoreError, match="no such"):
        check_score(C, 0, 0)


def test_same_matter_counts_its_highest_entry_only() -> None:
    # 同一事项只计最高加分，不累计加分: the same matter endorsed at two levels counts once.
    entries = [
        BonusEntry(58, 2, "村级网格化服务经验", "prefectural"),
        BonusEntry(58, 3, "村级网格化服务经验", "provincial"),
    ]
    assert bonus_total(C, entries)[0] == 3


def test_matter_spanning_items_counts_once_with_its_highest_entry() -> None:
    # The same matter reported by media (59, 4) and endorsed (58, 3): only the 4 counts.
    entries = [
        BonusEntry(58, 3, "退役军人志愿服务队 ", "provincial"),
        BonusEntry(59, 4, "退役军人志愿服务队", "national"),
    ]
    total, per_item = bonus_total(C, entries)
    assert total == 4 and per_item == {59: 4}


def test_matters_are_grouped_after_nfkc_and_trim() -> None:
    a = BonusEntry(58, 2, "ＡＢＣ经验", "prefectural")
    b = BonusEntry(58, 3, "  ABC经验", "provincial")
    assert normalise_matter(a.matter) == normalise_matter(b.matter)
    assert bonus_total(C, [a, b])[0] == 3


def test_per_item_cap_then_total_cap() -> None:
    # Item 58: three distinct matters 4+3+2 = 9, capped at 4. Item 59 likewise 4. Item 60: 2.
    entries = [
        BonusEntry(58, 4, "m1", "central"),
        BonusEntry(58, 3, "m2", "provincial"),
        BonusEntry(58, 2, "m3", "prefectural"),
        BonusEntry(59, 4, "m4", "national"),
        BonusEntry(59, 4, "m5", "national"),
        BonusEntry(60, 2, "m6"),
        BonusEntry(60, 1.5, "m7"),
    ]
    total, per_item = bonus_total(C, entries)
    assert per_item == {58: 4, 59: 4, 60: 2}
    assert total == 10


def test_total_cap_applies_when_a_campaign_allows_more() -> None:
    raw = tomllib.loads((config_dir() / "campaigns" / "fengdu-2023.toml").read_text("utf-8"))
    raw["scoring"]["bonus_cap"] = 6
    c6 = parse_campaign(raw)
    entries = [BonusEntry(58, 4, "m1", "central"), BonusEntry(59, 4, "m2", "national")]
    assert bonus_total(c6, entries)[0] == 6


def test_bonus_entries_checked() -> None:
    assert check_bonus(C, BonusEntry(60, 1.5, " 事项 ")).matter == "事项"
    with pytest.raises(ScoreError, match="not allowed"):
        check_bonus(C, BonusEntry(60, 0.3, "x"))
    with pytest.raises(ScoreError, match="not allowed"):
        check_bonus(C, BonusEntry(58, 1, "x"))
    with pytest.raises(ScoreError, match="worth"):
        check_bonus(C, BonusEntry(58, 3, "x", "central"))
    with pytest.raises(ScoreError, match="unknown level"):
        check_bonus(C, BonusEntry(58, 4, "x", "galactic"))
    with pytest.raises(ScoreError, match="matter"):
        check_bonus(C, BonusEntry(59, 4, "  "))
    with pytest.raises(ScoreError, match="no such"):
        check_bonus(C, BonusEntry(61, 1, "x"))


def test_veto_conditions_checked() -> None:
    assert check_veto(C, [1, 4]) == frozenset({1, 4})
    with pytest.raises(ScoreError):
        check_veto(C, [5])
    with pytest.raises(ScoreError):
        check_veto(C, [True])


def test_lost_points_per_item_for_reports() -> None:
    r = compute(C, sheet((6, 23)))
    assert r.lost == {6: 3, 23: 3}


# -- properties ---------------------------------------------------------------------------------

ITEM_NUMBERS = [it.number for it in C.items]


@st.composite
def sheets(draw: st.DrawFn, campaign: Campaign = C) -> Sheet:
    scores: dict[int, float] = {}
    for it in campaign.items:
        if draw(st.booleans()) or draw(st.booleans()):
            scores[it.number] = draw(st.sampled_from(campaign.allowed_scores(it.number)))
    entries = []
    for _ in range(draw(st.integers(0, 6))):
        b = draw(st.sampled_from(campaign.bonus))
        points = draw(st.sampled_from(b.allowed_points()))
        matter = draw(st.sampled_from(["甲", "乙", "丙", " 甲", "ＡＢ", "AB"]))
        entries.append(BonusEntry(b.number, points, matter))
    veto = draw(st.frozensets(st.sampled_from([1, 2, 3, 4]), max_size=2))
    return Sheet(scores=scores, bonus=tuple(entries), veto=veto)


@settings(max_examples=300)
@given(sheets())
def test_property_total_bounds_and_pass_rule(s: Sheet) -> None:
    r = compute(C, s)
    assert 0 <= r.base <= 100
    assert 0 <= r.bonus <= 10
    assert r.total == r.base + r.bonus
    assert r.base == sum(r.subtotals)
    for cat, sub in zip(C.categories, r.subtotals, strict=True):
        assert 0 <= sub <= cat.subtotal
    assert r.passed == (r.complete and not s.veto and r.total >= 90)
    assert r.complete == (len(s.scores) == 57)
    check_sheet(C, s)  # everything drawn is valid


@settings(max_examples=200)
@given(sheets(), st.randoms())
def test_property_bonus_independent_of_entry_order(s: Sheet, rnd: Any) -> None:
    shuffled = list(s.bonus)
    rnd.shuffle(shuffled)
    assert bonus_total(C, shuffled) == bonus_total(C, s.bonus)


@settings(max_examples=200)
@given(sheets())
def test_property_repeating_an_entry_never_adds(s: Sheet) -> None:
    # 不累计加分: duplicating any entry (same matter) never changes the bonus.
    doubled = s.bonus + s.bonus
    assert bonus_total(C, doubled)[0] == bonus_total(C, s.bonus)[0]


@settings(max_examples=200)
@given(sheets(), st.sampled_from(ITEM_NUMBERS))
def test_property_lowering_a_score_never_raises_the_total(s: Sheet, n: int) -> None:
    if n not in s.scores:
        return
    lowered = dict(s.scores)
    lowered[n] = 0.0
    assert compute(C, Sheet(lowered, s.bonus, s.veto)).total <= compute(C, s).total


@settings(max_examples=200)
@given(sheets(P))
def test_property_partial_campaign_half_steps_are_exact(s: Sheet) -> None:
    r = compute(P, s)
    assert (r.total * 2) == int(r.total * 2)  # sums of halves are exact
    check_sheet(P, s)


def test_counted_bonus_keeps_each_matters_highest_entry() -> None:
    entries = [
        BonusEntry(59, 2.0, "全省示范站", "prefectural"),
        BonusEntry(58, 3.0, " 全省示范站", "provincial"),  # the same matter, written with a space
        BonusEntry(60, 1.0, "经验交流"),
    ]
    assert counted_bonus(entries) == {1, 2}
    assert bonus_total(C, entries) == (4.0, {58: 3.0, 60: 1.0})
