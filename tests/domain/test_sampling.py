"""Spot-check sampling: reproducible from the stored seed, fair by construction, covers every
township that has passed stations."""

from __future__ import annotations

import hashlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldtui.domain.sampling import (
    ALGORITHM,
    Candidate,
    Parameters,
    Population,
    Rule,
    SampleError,
    draw,
    rank,
    record,
    verify,
)

units = st.text(alphabet="丰收长乐太平镇乡街道ABC", min_size=1, max_size=6)
populations = st.dictionaries(
    units,
    st.sets(st.integers(1, 400), max_size=40),
    min_size=1,
    max_size=8,
).map(
    lambda d: [
        Population(u, f"batch-{u}", tuple(Candidate(i, f"站{i}") for i in sorted(ids)))
        for u, ids in d.items()
    ]
)
rules = st.one_of(
    st.floats(0.01, 1.0).map(lambda v: Rule("share", v)),
    st.integers(0, 12).map(lambda v: Rule("count", v)),
)
seeds = st.one_of(st.integers(0, 2**64).map(str), st.text(min_size=1, max_size=20).filter(
    lambda s: s.strip() == s and all(ord(c) >= 32 for c in s)
))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(populations, rules, seeds)
def test_draw_is_reproducible_covers_every_township_and_respects_the_rule(
    pops: list[Population], rule: Rule, seed: str
) -> None:
    params = Parameters(rule)
    first = draw(seed, pops, params)
    # the same seed over the same populations, in any order, gives the same draw
    again = draw(seed, list(reversed(pops)), params)
    assert first == again
    stored = record(seed, params, first)
    assert verify(stored, pops) == []
    by_unit = {d.unit: d for d in first}
    for p in pops:
        d = by_unit[p.unit]
        n = len(p.stations)
        assert d.population == n
        chosen = [c.station_id for c in d.stations]
        assert len(set(chosen)) == len(chosen) and set(chosen) <= set(p.ids())
        if rule.mode == "share":
            # every township with passed stations gets at least one
            assert len(chosen) == (min(n, max(1, math.ceil(round(rule.value * n, 9)))) if n else 0)
            if n:
                assert chosen
        else:
            assert len(chosen) == min(n, int(rule.value))


@settings(max_examples=100, deadline=None)
@given(populations, seeds, st.integers(1, 5))
def test_a_changed_record_or_population_is_caught_by_verify(
    pops: list[Population], seed: str, k: int
) -> None:
    params = Parameters(Rule("count", k))
    stored = record(seed, params, draw(seed, pops, params))
    target = next((u for u, r in stored["result"].items() if r["stations"]), None)
    if target is None:
        return
    # someone swaps a drawn station for another one, or re-seeds quietly
    pop = next(p for p in pops if p.unit == target)
    others = [i for i in pop.ids() if i not in stored["result"][target]["stations"]]
    if others:
        forged = {**stored, "result": {**stored["result"]}}
        forged["result"][target] = {
            **stored["result"][target],
            "stations": [others[0], *stored["result"][target]["stations"][1:]],
        }
        assert verify(forged, pops)
    # a population changed after the draw (another batch) is caught as well
    shrunk = [
        Population(p.unit, p.batch_id, p.stations[1:]) if p.unit == target else p for p in pops
    ]
    assert verify(stored, shrunk)


def test_rank_is_sha256_of_the_documented_text() -> None:
    """Anyone can check a draw by hand with sha256sum."""
    text = f"{ALGORITHM}\n42\n丰收镇\n8".encode()
    assert rank("42", "丰收镇", 8) == hashlib.sha256(text).hexdigest()
    pop = Population("丰收镇", "b", tuple(Candidate(i, f"站{i}") for i in (3, 8, 10, 21)))
    (d,) = draw("42", [pop], Parameters(Rule("count", 2)))
    by_hand = sorted((3, 8, 10, 21), key=lambda i: rank("42", "丰收镇", i))[:2]
    assert [c.station_id for c in d.stations] == by_hand


def test_one_townships_draw_does_not_depend_on_the_others() -> None:
    a = Population("甲镇", "a", tuple(Candidate(i, str(i)) for i in range(1, 30)))
    b = Population("乙镇", "b", tuple(Candidate(i, str(i)) for i in range(1, 30)))
    params = Parameters(Rule("share", 0.2))
    alone = draw("7", [a], params)[0]
    both = {d.unit: d for d in draw("7", [a, b], params)}
    assert both["甲镇"] == alone


def test_per_township_rules_and_refusals() -> None:
    a = Population("甲镇", "a", tuple(Candidate(i, str(i)) for i in range(1, 11)))
    b = Population("乙镇", "b", tuple(Candidate(i, str(i)) for i in range(1, 11)))
    params = Parameters(Rule("share", 0.1), {"乙镇": Rule("count", 4)})
    got = {d.unit: len(d.stations) for d in draw("s", [a, b], params)}
    assert got == {"甲镇": 1, "乙镇": 4}
    assert Rule("share", 0.2).size(10) == 2  # not 3 from 2.0000000000000004
    for mode, value in (("share", 0), ("share", 1.5), ("count", -1), ("count", 1.5)):
        with pytest.raises(SampleError):
            Rule(mode, value)
    with pytest.raises(SampleError, match="seed"):
        draw("  ", [a], params)
    with pytest.raises(SampleError, match="twice"):
        draw("s", [a, a], params)
