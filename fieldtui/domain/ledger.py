"""The ledger (台账) of village/community service stations: the station record and its rules.

The same rules serve the importer, the add/edit form and the CLI: one place says what a valid
station is, and every refusal names the field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, fields, replace

HEAD_ROLES = ("secretary", "director", "both", "other", "")
HEAD_ROLE_ZH = {
    "secretary": "书记",
    "director": "主任",
    "both": "书记兼主任",
    "other": "其他",
    "": "",
}

# Field names in the order the ledger shows them, with their Chinese and English labels.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name": ("服务站名称", "Station name"),
    "village": ("村（社区）", "Village/community"),
    "head": ("负责人", "Person in charge"),
    "head_role": ("负责人职务", "Role of person in charge"),
    "contact": ("联系人", "Contact person"),
    "phone": ("联系电话", "Phone"),
    "people_served": ("服务对象数量", "People served"),
    "veterans": ("退役军人数量", "Veterans"),
    "notes": ("备注", "Notes"),
}

MAX_TEXT = {"name": 60, "village": 60, "head": 30, "contact": 30, "notes": 500}


@dataclass(frozen=True, slots=True)
class StationInput:
    """A station as typed or imported, before it has an id. Text fields are already trimmed."""

    name: str
    village: str = ""
    head: str = ""
    head_role: str = ""
    contact: str = ""
    phone: str = ""
    people_served: int | None = None
    veterans: int | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Station:
    id: int
    name: str
    village: str = ""
    head: str = ""
    head_role: str = ""
    contact: str = ""
    phone: str = ""
    people_served: int | None = None
    veterans: int | None = None
    notes: str = ""
    archived: dt.date | None = None
    pinyin: str = ""

    def as_input(self) -> StationInput:
        return StationInput(**{f.name: getattr(self, f.name) for f in fields(StationInput)})

    def as_dict(self) -> dict[str, object]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["archived"] = self.archived.isoformat() if self.archived else None
        return d


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    problem: str
    problem_en: str

    def message(self, lang: str) -> str:
        zh, en = FIELD_LABELS.get(self.field, (self.field, self.field))
        return f"{en}: {self.problem_en}" if lang == "en" else f"{zh}：{self.problem}"


def clean_text(value: object) -> str:
    """Trim, NFC-normalise, and turn any run of whitespace (incl. full-width) into one space."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    return " ".join(text.replace("\u3000", " ").split())


_PHONE_JUNK = re.compile(r"[\s\-－—–()（）.·]")


def normalise_phone(raw: str, area_code: str) -> str | None:
    """Return a phone number in canonical form, or None if it cannot be one.

    Accepted: an 11-digit mobile (1[3-9]xxxxxxxxx), a landline with its area code (0xx or 0xxx
    followed by 7-8 digits, written as ``023-12345678``), or a bare 7-8 digit local number, which
    takes the campaign's area code. Spaces, hyphens, brackets and a +86/0086 prefix are accepted.
    An extension (转/ext) is kept after the number.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    ext = ""
    m = re.search(r"(?:转|ext\.?|x)\s*(\d{1,6})$", text, re.IGNORECASE)
    if m:
        ext = m.group(1)
        text = text[: m.start()]
    text = _PHONE_JUNK.sub("", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13 and text[2] == "1":
        text = text[2:]
    if not text.isdigit():
        return None
    suffix = f"转{ext}" if ext else ""
    if len(text) == 11 and re.fullmatch(r"1[3-9]\d{9}", text):
        return text + suffix
    if text.startswith("0"):
        # Area codes: 010 and 02x are three digits, the others four.
        code_len = 3 if text[1] in "12" else 4
        code, local = text[:code_len], text[code_len:]
        if 7 <= len(local) <= 8 and local[0] not in "01":
            return f"{code}-{local}{suffix}"
        return None
    if len(text) in (7, 8) and text[0] not in "01":
        return f"{area_code}-{text}{suffix}"
    return None


def parse_count(raw: object) -> int | str | None:
    """Parse a whole number of people. Returns the int, None when empty, or the offending text."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else str(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return None
    text = re.sub(r"\s*(人|名|个)$", "", text)
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(float(text))
    return text


def validate(
    data: StationInput, area_code: str, max_people: int = 100
) -> tuple[StationInput, list[FieldError]]:
    """Check one station. Returns the normalised record and every problem found (empty if valid)."""
    errors: list[FieldError] = []
    name = clean_text(data.name)
    if not name:
        errors.append(FieldError("name", "名称不能为空", "must not be empty"))
    cleaned = {k: clean_text(getattr(data, k)) for k in ("village", "head", "contact", "notes")}
    for key, max_len in MAX_TEXT.items():
        value = name if key == "name" else cleaned.get(key, "")
        if len(value) > max_len:
            errors.append(
                FieldError(key, f"超过{max_len}个字", f"longer than {max_len} characters")
            )
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        errors.append(FieldError("name", "含有控制字符", "contains control characters"))
    role = data.head_role if data.head_role in HEAD_ROLES else _role_from_text(data.head_role)
    if role is None:
        errors.append(
            FieldError(
                "head_role",
                f"“{data.head_role}”应为 书记、主任、书记兼主任 或 其他",
                f"{data.head_role!r} must be secretary, director, both or other",
            )
        )
        role = ""
    phone = ""
    if clean_text(data.phone):
        norm = normalise_phone(data.phone, area_code)
        if norm is None:
            errors.append(
                FieldError(
                    "phone",
                    f"“{data.phone}”不是11位手机号或带区号的固定电话",
                    f"{data.phone!r} is not an 11-digit mobile or a landline with area code",
                )
            )
        else:
            phone = norm
    counts: dict[str, int | None] = {}
    limits: tuple[tuple[str, int | None], ...] = (("people_served", max_people), ("veterans", None))
    for key, limit in limits:
        value = getattr(data, key)
        parsed = parse_count(value)
        if isinstance(parsed, str):
            errors.append(
                FieldError(key, f"“{parsed}”不是整数", f"{parsed!r} is not a whole number")
            )
            counts[key] = None
        elif parsed is not None and (parsed < 0 or (limit is not None and parsed > limit)):
            hi = f"0..{limit}" if limit is not None else "0 or more"
            errors.append(FieldError(key, f"{parsed} 超出范围 {hi}", f"{parsed} is outside {hi}"))
            counts[key] = None
        else:
            counts[key] = parsed
    if (
        counts["veterans"] is not None
        and counts["people_served"] is not None
        and counts["veterans"] > counts["people_served"]
    ):
        errors.append(
            FieldError(
                "veterans",
                "退役军人数量不能大于服务对象数量",
                "cannot exceed the number of people served",
            )
        )
    out = replace(
        data,
        name=name,
        head_role=role,
        phone=phone,
        people_served=counts["people_served"],
        veterans=counts["veterans"],
        **cleaned,
    )
    return out, errors


def _role_from_text(text: str) -> str | None:
    t = clean_text(text).lower()
    if not t:
        return ""
    has_sec = "书记" in t or "secretary" in t
    has_dir = "主任" in t or "director" in t
    if has_sec and has_dir:
        return "both"
    if has_sec:
        return "secretary"
    if has_dir:
        return "director"
    if t in ("其他", "other"):
        return "other"
    return None
