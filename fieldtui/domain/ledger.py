"""The ledger (台账) of village/community service stations: the station record and its rules.

The same rules serve the importer, the add/edit form and the CLI: one place says what a valid
station is, and every refusal names the field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields

# Whether the person in charge is the village party secretary (书记), the director (主任), both
# (书记兼主任, "一肩挑"), one of the two without saying which ("either": a ledger column
# 是否书记或主任 answered 是), or someone else.
HEAD_ROLES = ("secretary", "director", "both", "either", "other", "")
HEAD_ROLE_ZH = {
    "secretary": "书记",
    "director": "主任",
    "both": "书记兼主任",
    "either": "书记或主任",
    "other": "其他",
    "": "",
}
HEAD_ROLE_EN = {
    "secretary": "secretary",
    "director": "director",
    "both": "secretary and director",
    "either": "secretary or director",
    "other": "other",
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
    """A station in the ledger, with its id and stored pinyin keys."""

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
    """A field refused by validation, with the problem in both languages."""

    field: str
    problem: str
    problem_en: str

    def message(self, lang: str) -> str:
        zh, en = FIELD_LABELS.get(self.field, (self.field, self.field))
        return f"{en}: {self.problem_en}" if lang == "en" else f"{zh}：{self.problem}"


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def clean_text(value: object) -> str:
    """Trim, NFC-normalise, drop invisible characters (zero-width space, BOM, soft hyphen: they
    come with text pasted from web pages and chat apps), and turn any run of whitespace (incl.
    full-width spaces and line breaks) into one space."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).translate(_INVISIBLE)
    return " ".join(text.replace("\u3000", " ").split())


# What offices write in a cell for "none": read as an empty cell in the phone and count columns.
NONE_MARKS = frozenset(
    {"/", "／", "\\", "-", "－", "—", "——", "–", "无", "暂无", "空", "没有", "n/a", "na", "none"}
)


def is_none_mark(text: str) -> bool:
    return unicodedata.normalize("NFKC", text).strip().lower() in NONE_MARKS


_PHONE_JUNK = re.compile(r"[\s\-－—–()（）.·]")


def normalise_phone(raw: str, area_code: str) -> str | None:
    """Return a phone number in canonical form, or None if it cannot be one.

    Accepted: an 11-digit mobile (1[3-9]xxxxxxxxx), a landline with its area code (0xx or 0xxx
    followed by 7-8 digits, written as ``023-12345678``), or a bare 7-8 digit local number, which
    takes the campaign's area code. Spaces, hyphens, brackets and a +86/0086 prefix are accepted.
    An extension (转/ext) is kept after the number. A landline whose leading 0 a spreadsheet
    dropped (stored as the number 2372345678) gets it back; only area codes 02x-09xx qualify, so
    a mobile with a digit missing never turns into a landline.
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
    if 9 <= len(text) <= 11 and text[0] in "23456789":
        return normalise_phone("0" + text + (f"转{ext}" if ext else ""), area_code)
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
    if not text or is_none_mark(text):
        return None
    text = re.sub(r"\s*(人|名|个)$", "", text)
    if re.fullmatch(r"[-+]?\d+(\.0+)?", text):
        return int(float(text))
    return text


def validate(
    data: StationInput, area_code: str, max_people: int = 100
) -> tuple[StationInput, list[FieldError]]:
    """Check one station. Returns the normalised record and every problem found (empty if valid)."""
    return validate_values(
        {f.name: getattr(data, f.name) for f in fields(StationInput)}, area_code, max_people
    )


def validate_values(
    values: Mapping[str, object], area_code: str, max_people: int = 100
) -> tuple[StationInput, list[FieldError]]:
    """The same check from raw values as a form or a spreadsheet gives them (text, numbers,
    None). Missing keys count as empty. Returns the normalised record and every problem."""

    def raw(key: str) -> str:
        value = values.get(key)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))  # a phone a spreadsheet stored as 13800000000.0
        return str(value)

    errors: list[FieldError] = []
    name = clean_text(raw("name"))
    if not name:
        errors.append(FieldError("name", "名称不能为空", "must not be empty"))
    cleaned = {k: clean_text(raw(k)) for k in ("village", "head", "contact", "notes")}
    for key, max_len in MAX_TEXT.items():
        value = name if key == "name" else cleaned.get(key, "")
        if len(value) > max_len:
            errors.append(
                FieldError(key, f"超过{max_len}个字", f"longer than {max_len} characters")
            )
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        errors.append(FieldError("name", "含有控制字符", "contains control characters"))
    role_text = raw("head_role")
    role = role_text if role_text in HEAD_ROLES else _role_from_text(role_text)
    phone = ""
    phone_text = raw("phone")
    if clean_text(phone_text) and not is_none_mark(phone_text):
        norm = normalise_phone(phone_text, area_code)
        parts = [p for p in re.split(r"[/／、,，;；]|\s{2,}|\n", phone_text) if p.strip()]
        if norm is None and len(parts) > 1 and all(normalise_phone(p, area_code) for p in parts):
            errors.append(
                FieldError(
                    "phone",
                    f"“{phone_text}”是{len(parts)}个号码：这一格只填一个，其余的写进备注",
                    f"{phone_text!r} holds {len(parts)} numbers: keep one here and put the "
                    "others in the notes",
                )
            )
        elif norm is None:
            errors.append(
                FieldError(
                    "phone",
                    f"“{phone_text}”不是11位手机号或带区号的固定电话",
                    f"{phone_text!r} is not an 11-digit mobile or a landline with area code",
                )
            )
        else:
            phone = norm
    counts: dict[str, int | None] = {}
    limits: tuple[tuple[str, int | None], ...] = (("people_served", max_people), ("veterans", None))
    for key, limit in limits:
        parsed = parse_count(values.get(key))
        if isinstance(parsed, str):
            errors.append(
                FieldError(key, f"“{parsed}”不是整数", f"{parsed!r} is not a whole number")
            )
            counts[key] = None
        elif parsed is not None and (parsed < 0 or (limit is not None and parsed > limit)):
            if limit is None:
                zh, en = f"{parsed} 不能为负数", f"{parsed} must not be negative"
            else:
                zh, en = f"{parsed} 超出范围 0..{limit}", f"{parsed} is outside 0..{limit}"
            errors.append(FieldError(key, zh, en))
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
    out = StationInput(
        name=name,
        head_role=role,
        phone=phone,
        people_served=counts["people_served"],
        veterans=counts["veterans"],
        **cleaned,
    )
    return out, errors


_YES = frozenset({"是", "√", "✓", "✔", "yes", "y", "true"})
_NO = frozenset(
    {"否", "不是", "非", "无", "×", "✗", "x", "no", "n", "false", "其他", "其它", "other"}
)


def _role_from_text(text: str) -> str:
    """The role as offices write it: 书记, 村支书, 主任, 书记兼主任, 一肩挑, 书记或主任, or the
    answer 是/否 in a column 是否书记或主任. A deputy (副书记, 副主任) or the head of the
    supervisory committee (监委会主任) is neither; nor is any other post a 职务 column names
    (村委委员, 综治专干, 本村退役军人...): those are "other"."""
    spaced = unicodedata.normalize("NFKC", clean_text(text)).lower()
    t = spaced.replace(" ", "")
    if not t:
        return ""
    if t in _YES:
        return "either"
    if t in _NO:
        return "other"
    if "副" in t or "监委" in t or "监督委员会" in t or "deputy" in t:
        return "other"
    has_sec = "书记" in t or "支书" in t or "secretary" in t
    has_dir = "主任" in t or "director" in t
    either = "或" in t or " or " in f" {spaced} " or "/" in t
    if "一肩挑" in t or (has_sec and has_dir and not either):
        return "both"
    if has_sec and has_dir:
        return "either"
    if has_sec:
        return "secretary"
    if has_dir:
        return "director"
    return "other"
