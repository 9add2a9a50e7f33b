"""Text that is not Unicode (an unpaired surrogate, from a "\\ud800" JSON escape) is refused by
the shared wire schema wherever it stands, with the place named and a message that can itself be
encoded; a proper surrogate pair (an emoji written as two escapes) is ordinary text."""

from __future__ import annotations

import json

import pytest

from fieldtui.domain.batch import parse_batch
from fieldtui.domain.review import REVIEW_SCHEMA, ReviewError, read_reviews_file
from fieldtui.domain.schema import Obj, SchemaError, Str, printable, surrogate_path


@pytest.mark.parametrize("bad", ["\ud800", "a\udfffb", "\udc00\ud800"])
def test_strings_and_field_names_with_a_lone_surrogate_are_refused(bad: str) -> None:
    spec = Obj(fields={"name": Str(60)})
    with pytest.raises(SchemaError) as exc:
        spec.validate({"name": bad})
    assert exc.value.path == "$.name" and "surrogate" in exc.value.problem
    with pytest.raises(SchemaError) as exc:
        spec.validate({"name": "ok", bad: 1})
    assert "surrogate" in exc.value.problem
    str(exc.value).encode("utf-8")  # the message itself is always encodable


def test_parse_batch_names_the_first_place_and_takes_proper_pairs() -> None:
    with pytest.raises(SchemaError) as exc:
        parse_batch(b'{"a":[1,{"b":"ok","c":"x\\udbff"}]}')
    assert exc.value.path == "$.a[1].c"
    assert parse_batch(b'{"a":"\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert parse_batch(b'{"a":"\\\\ud800"}') == {"a": "\\ud800"}  # an escaped backslash: text


def test_helpers() -> None:
    assert printable("丰收\ud800镇") == "丰收\\ud800镇"
    assert printable("丰收镇") == "丰收镇"
    assert surrogate_path({"a": ["x", {"\udc00": 1}]}) == "$.a[1].\\udc00"
    assert surrogate_path({"a": ["x", {"b": 1}]}) is None


def test_the_township_refuses_a_review_holding_one() -> None:
    """A review fetched from the county, or imported from its file, goes through the same check
    before the township stores anything."""
    with pytest.raises(SchemaError, match=r"\$\.unit: .*surrogate"):
        REVIEW_SCHEMA.fields["unit"].validate("丰收\ud800镇", "$.unit")
    body = json.dumps({"unit": "丰收\ud800镇"}).encode()  # ensure_ascii: the escape
    with pytest.raises(ReviewError, match=r"reviews\.json.*\$\.unit.*surrogate"):
        read_reviews_file(body, "reviews.json", "丰收镇", None)
