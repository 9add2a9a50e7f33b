"""A small declarative schema: one definition validates a JSON value strictly and emits JSON Schema.

Used for the batch wire format, so the township client, the county server and the served OpenAPI
description all come from the same definition. Strict on purpose: unknown fields, wrong types,
booleans posing as numbers, NaN/infinities, huge numbers, oversized strings and text that is not
valid Unicode (an unpaired ``\\ud800``-style surrogate escape) are all refused with the path of the
offending value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldtui.domain.errors import Refusal

# A code point in U+D800..U+DFFF left in a Python string: JSON's "\ud800" escape without its
# partner (json.loads joins proper pairs into one character). It cannot be encoded as UTF-8, so
# it may go no further than the check that names it.
_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_UNICODE = "holds an unpaired surrogate (a \\ud800-\\udfff escape): not valid Unicode text"


def has_surrogate(text: str) -> bool:
    """True when ``text`` holds an unpaired surrogate (it cannot be written as UTF-8)."""
    return _SURROGATE.search(text) is not None


def printable(text: str) -> str:
    """``text`` with any unpaired surrogate written as a ``\\udxxx`` escape: always encodable."""
    if not has_surrogate(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def surrogate_path(value: Any, path: str = "$") -> str | None:
    """The path of the first string or object key in a JSON tree holding an unpaired surrogate."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        v, where = stack.pop()
        if isinstance(v, str):
            if has_surrogate(v):
                return where
        elif isinstance(v, dict):
            for k in v:
                if has_surrogate(k):
                    return f"{where}.{printable(k)}"
            stack.extend((item, f"{where}.{k}") for k, item in reversed(v.items()))
        elif isinstance(v, list):
            stack.extend((item, f"{where}[{i}]") for i, item in reversed(list(enumerate(v))))
    return None


class SchemaError(Refusal):
    def __init__(self, path: str, problem: str) -> None:
        self.path = printable(path or "$")
        self.problem = printable(problem)
        super().__init__(f"{self.path}: {self.problem}")


class Spec:
    nullable: bool = False

    def check(self, value: Any, path: str) -> None:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def validate(self, value: Any, path: str = "$") -> None:
        if value is None:
            if self.nullable:
                return
            raise SchemaError(path, "must not be null")
        self.check(value, path)

    def _schema(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.nullable:
            t = body.get("type")
            if isinstance(t, str):
                body["type"] = [t, "null"]
            elif "enum" in body:
                body["enum"] = [*body["enum"], None]
        return body


@dataclass
class Str(Spec):
    max_len: int = 200
    min_len: int = 0
    pattern: str | None = None
    nullable: bool = False

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise SchemaError(path, "must be a string")
        if len(value) > self.max_len:
            raise SchemaError(path, f"longer than {self.max_len} characters")
        if len(value) < self.min_len:
            raise SchemaError(path, "must not be empty" if self.min_len == 1 else "too short")
        if "\x00" in value:
            raise SchemaError(path, "contains a NUL character")
        if has_surrogate(value):
            raise SchemaError(path, NOT_UNICODE)
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise SchemaError(path, "has the wrong format")

    def json_schema(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "string", "maxLength": self.max_len}
        if self.min_len:
            body["minLength"] = self.min_len
        if self.pattern:
            body["pattern"] = f"^(?:{self.pattern})$"
        return self._schema(body)


@dataclass
class Int(Spec):
    minimum: int = 0
    maximum: int = 2**31 - 1
    nullable: bool = False

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(path, "must be an integer")
        if not self.minimum <= value <= self.maximum:
            raise SchemaError(path, f"must lie in {self.minimum}..{self.maximum}")

    def json_schema(self) -> dict[str, Any]:
        return self._schema({"type": "integer", "minimum": self.minimum, "maximum": self.maximum})


@dataclass
class Num(Spec):
    minimum: float = 0.0
    maximum: float = 1e6
    nullable: bool = False

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SchemaError(path, "must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise SchemaError(path, "must be a finite number")
        if not self.minimum <= value <= self.maximum:
            raise SchemaError(path, f"must lie in {self.minimum:g}..{self.maximum:g}")

    def json_schema(self) -> dict[str, Any]:
        return self._schema({"type": "number", "minimum": self.minimum, "maximum": self.maximum})


@dataclass
class Bool(Spec):
    nullable: bool = False

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            raise SchemaError(path, "must be true or false")

    def json_schema(self) -> dict[str, Any]:
        return self._schema({"type": "boolean"})


@dataclass
class Date(Spec):
    nullable: bool = False

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise SchemaError(path, "must be a date YYYY-MM-DD")
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise SchemaError(path, "is not a real date") from None

    def json_schema(self) -> dict[str, Any]:
        return self._schema({"type": "string", "format": "date", "maxLength": 10})


@dataclass
class DateTime(Spec):
    nullable: bool = False

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str) or len(value) > 40:
            raise SchemaError(path, "must be an ISO 8601 date-time with offset")
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise SchemaError(path, "must be an ISO 8601 date-time with offset") from None
        if parsed.tzinfo is None:
            raise SchemaError(path, "needs a UTC offset such as +08:00")

    def json_schema(self) -> dict[str, Any]:
        return self._schema({"type": "string", "format": "date-time", "maxLength": 40})


@dataclass
class Enum(Spec):
    values: tuple[Any, ...] = ()
    nullable: bool = False

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or value not in self.values:
            shown = ", ".join(repr(v) for v in self.values)
            raise SchemaError(path, f"must be one of {shown}")

    def json_schema(self) -> dict[str, Any]:
        return self._schema({"enum": list(self.values)})


@dataclass
class Arr(Spec):
    of: Spec = field(default_factory=Spec)
    max_items: int = 1000
    min_items: int = 0
    unique: bool = False
    nullable: bool = False

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise SchemaError(path, "must be a list")
        if len(value) > self.max_items:
            raise SchemaError(path, f"more than {self.max_items} entries")
        if len(value) < self.min_items:
            raise SchemaError(path, f"fewer than {self.min_items} entries")
        for i, v in enumerate(value):
            self.of.validate(v, f"{path}[{i}]")
        if self.unique and len({repr(v) for v in value}) != len(value):
            raise SchemaError(path, "has duplicate entries")

    def json_schema(self) -> dict[str, Any]:
        body = {"type": "array", "items": self.of.json_schema(), "maxItems": self.max_items}
        if self.min_items:
            body["minItems"] = self.min_items
        if self.unique:
            body["uniqueItems"] = True
        return self._schema(body)


@dataclass
class Obj(Spec):
    fields: Mapping[str, Spec] = field(default_factory=dict)
    optional: Sequence[str] = ()
    nullable: bool = False
    title: str = ""

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(path, "must be an object")
        for key in value:
            if isinstance(key, str) and has_surrogate(key):
                raise SchemaError(f"{path}.{key}", f"the field name {NOT_UNICODE}")
            if key not in self.fields:
                raise SchemaError(f"{path}.{key}", "unknown field")
        for key, spec in self.fields.items():
            if key not in value:
                if key in self.optional:
                    continue
                raise SchemaError(f"{path}.{key}", "missing")
            spec.validate(value[key], f"{path}.{key}")

    def json_schema(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "object",
            "properties": {k: s.json_schema() for k, s in self.fields.items()},
            "required": [k for k in self.fields if k not in self.optional],
            "additionalProperties": False,
        }
        if self.title:
            body["title"] = self.title
        return self._schema(body)
