"""Hostile batch payloads against the real county server (issue 5, item 10).

Hypothesis takes a real sealed batch (a demo township: stations, visits with items, bonus entries
and vetoes, the progress summary) and breaks it at any place in its tree: NaN, infinities, numbers
too big for any field (up to 5,000 digits), oversized strings, values of the wrong JSON type,
unknown fields, and text that is not Unicode: an unpaired surrogate written as a JSON escape
(``"\\ud800"``) in any string or in a field name. The content hash and the body's digest are
recomputed after the change, so the batch gets past the digest check into validation. Every one
must be refused with 422 (403 for a ``unit`` that names another township: the token fixes the
unit), never a 5xx, and nothing is stored. ``count(50, 500)`` examples. (Schemathesis fuzzes the
whole API from the served OpenAPI description in tests/county/test_openapi.py.)
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldtui.domain.batch import API_PATH, BATCH_SCHEMA, content_hash
from fieldtui.domain.schema import Arr, Bool, Int, Num, Obj, Spec
from tests.support.batches import BatchFactory, Sealed, push_headers
from tests.support.counts import count
from tests.support.county_server import CountyServer, start_county

UNIT = "丰收镇"
Path_ = tuple[str | int, ...]
# One worker runs this module in order: the last test looks at what the fuzzing left.
pytestmark = pytest.mark.xdist_group("payload-fuzz")


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    return BatchFactory(tmp_path_factory.mktemp("township"), stations=8).seal(UNIT, "2023Q2")


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CountyServer]:
    srv = start_county(tmp_path_factory.mktemp("county"), units=[UNIT])
    try:
        yield srv
    finally:
        srv.stop()


def paths(value: Any, here: Path_ = ()) -> Iterator[Path_]:
    """Every place in a JSON tree (the root excluded)."""
    if here:
        yield here
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*here, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*here, i))


def objects(value: Any, here: Path_ = ()) -> Iterator[Path_]:
    if isinstance(value, dict):
        yield here
        for k, v in value.items():
            yield from objects(v, (*here, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from objects(v, (*here, i))


def at(tree: Any, path: Path_) -> Any:
    for p in path:
        tree = tree[p]
    return tree


# Raw JSON that Python's json module will not write for us: put in as a marker, then swapped.
RAW = {
    "NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity", "1e400": "1e400",
    "-1e400": "-1e400", "10^5000": "1" + "0" * 5000,
}  # fmt: skip


# An unpaired surrogate as JSON writes it: the marker is swapped for the escape in the body.
SURROGATE_MARK = "\x00SURR:"
SURROGATES = ("\\ud800", "\\udbff", "\\udc00", "\\udfff")


def kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(v)]


def declared(path: Path_) -> str:
    """The JSON type the wire schema declares at ``path``. A null in the sealed batch says
    nothing about its field: ``revises`` is null or an id, so 5 there is no wrong type."""
    spec: Spec = BATCH_SCHEMA
    for p in path:
        spec = spec.of if isinstance(spec, Arr) else spec.fields[p]  # type: ignore[attr-defined]
    if isinstance(spec, (Int, Num)):
        return "number"
    return {Bool: "bool", Arr: "array", Obj: "object"}.get(type(spec), "string")


def wrong_types(path: Path_) -> st.SearchStrategy[Any]:
    """Values of another JSON type than the schema declares at ``path``."""
    candidates: list[Any] = ["5", "true", 5, 0, 1, 2.5, True, False, [], [1], {}, {"x": 1}]
    return st.sampled_from([c for c in candidates if kind(c) != declared(path)])


@st.composite
def broken(draw: st.DrawFn, payload: dict[str, Any]) -> tuple[str, Path_, bytes]:
    """(what was done, where, the body)."""
    obj = copy.deepcopy(payload)
    how = draw(
        st.sampled_from(
            ["special", "huge", "oversized", "wrong type", "unknown field", "surrogate"]
        )
    )
    surrogate = draw(st.sampled_from(SURROGATES))
    if how == "surrogate":
        if draw(st.booleans()):  # in a string the schema declares (a null one included)
            strings = [p for p in paths(obj) if declared(p) == "string" and p != ("content_hash",)]
            where = draw(st.sampled_from(strings))
            parent = at(obj, where[:-1])
            old = parent[where[-1]]
            parent[where[-1]] = (old if isinstance(old, str) else "") + SURROGATE_MARK
        else:  # in a field name
            where = draw(st.sampled_from(list(objects(obj))))
            at(obj, where)["备注" + SURROGATE_MARK] = "x"
    elif how == "unknown field":
        where = draw(st.sampled_from(list(objects(obj))))
        name = draw(st.sampled_from(["extra", "x", "Stations", "__proto__", "备注", "total "]))
        target = at(obj, where)
        if name in target:
            name += "_"
        target[name] = draw(st.sampled_from([1, "x", None, [], {}]))
    else:
        where = draw(st.sampled_from([p for p in paths(obj) if p != ("content_hash",)]))
        if how == "special":
            value: Any = "\x00RAW:" + draw(st.sampled_from(sorted(RAW)))
        elif how == "huge":
            value = draw(st.sampled_from([10**30, -(10**30), 2**63, 1e308, -1e308, 2**31,
                                          "\x00RAW:10^5000", "\x00RAW:1e400"]))  # fmt: skip
        elif how == "oversized":
            value = draw(st.sampled_from(["字", "a", "\u3000", "\\"])) * draw(
                st.sampled_from([1001, 5000, 100_000])
            )
        else:
            value = draw(wrong_types(where))
        parent = at(obj, where[:-1])
        parent[where[-1]] = value
    # Sealed again over the broken content, so the batch reaches validation.
    obj["content_hash"] = content_hash(obj)
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for marker, raw in RAW.items():
        text = text.replace(json.dumps("\x00RAW:" + marker), raw)
    text = text.replace(json.dumps(SURROGATE_MARK)[1:-1], surrogate)
    return how, where, text.encode("utf-8")


@settings(
    max_examples=count(50, 500),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_broken_payloads_are_refused_with_422(
    data: st.DataObject, sealed: Sealed, county: CountyServer
) -> None:
    how, where, body = data.draw(broken(sealed.payload))
    with httpx.Client(trust_env=False, timeout=30) as client:
        r = client.post(county.url + API_PATH, content=body,
                        headers=push_headers(body, county.tokens[UNIT], sealed.batch_id))  # fmt: skip
    label = f"{how} at {'.'.join(map(str, where))}: {r.status_code} {r.text[:300]}"
    assert r.status_code < 500, label
    if where == ("unit",) and r.status_code == 403:
        assert r.json()["error"] == "wrong_unit", label  # another township's name: the token wins
    else:
        assert r.status_code == 422, label
        err = r.json()
        assert err["error"] in ("invalid_batch", "key_mismatch"), label
    assert county.proc.poll() is None


def test_the_fuzzed_server_stored_nothing_and_still_takes_a_good_batch(
    sealed: Sealed, county: CountyServer
) -> None:
    assert county.copies() == {}
    with httpx.Client(trust_env=False, timeout=30) as client:
        r = client.post(county.url + API_PATH, content=sealed.body,
                        headers=sealed.headers(county.tokens[UNIT]))  # fmt: skip
    assert r.status_code == 201, r.text
    assert county.copies() == {sealed.batch_id: 1}


def test_the_markers_really_make_raw_json() -> None:
    body = json.dumps({"a": "\x00RAW:NaN", "b": "\x00RAW:1e400"}, separators=(",", ":"))
    for marker, raw in RAW.items():
        body = body.replace(json.dumps("\x00RAW:" + marker), raw)
    assert body == '{"a":NaN,"b":1e400}'
    assert math.isinf(json.loads(body)["b"])


def test_the_surrogate_marker_really_makes_an_unpaired_escape() -> None:
    text = json.dumps({"a": "站" + SURROGATE_MARK}, ensure_ascii=False, separators=(",", ":"))
    body = text.replace(json.dumps(SURROGATE_MARK)[1:-1], SURROGATES[0]).encode("utf-8")
    assert body == '{"a":"站\\ud800"}'.encode()
    assert json.loads(body)["a"] == "站\ud800"  # Python's json takes it: the county must not


def test_the_declared_types_agree_with_every_value_the_township_sealed(sealed: Sealed) -> None:
    seen = {}
    for where in paths(sealed.payload):
        value = at(sealed.payload, where)
        if value is not None:
            assert declared(where) == kind(value), where
        seen[where[-1]] = declared(where)
    assert seen["revises"] == "number"  # the field whose nulls once made 5 look like a wrong type
