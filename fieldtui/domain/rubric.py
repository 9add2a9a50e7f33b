"""The campaign as data: rubric, rules, periods and targets, loaded from a TOML file and validated.

A campaign file transcribes one county notice. The loader refuses any file whose structure does not
add up, naming the key and the problem, so the app never starts on a wrong rubric.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldtui.domain.errors import Refusal

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "+08:00")
ALLOWED_STEPS = (1.0, 0.5, 0.25)


class CampaignError(Refusal):
    """A campaign file is malformed. ``key`` names the offending key, ``source`` the file."""

    def __init__(self, key: str, problem: str, source: str = "") -> None:
        self.key = key
        self.problem = problem
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {problem}")


@dataclass(frozen=True, slots=True)
class Category:
    """One of the rubric's categories (一 … 十一) and the standard items in it."""

    number: int
    numeral: str
    name: str
    name_en: str
    subtotal: float
    items: tuple[int, ...]

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True, slots=True)
class Item:
    """A standard item: its number, category, maximum and text."""

    number: int
    category: int
    max: float
    text: str
    text_en: str

    def label(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text


@dataclass(frozen=True, slots=True)
class BonusLevel:
    """A level of a bonus item (central, provincial, prefectural) and its points."""

    key: str
    name: str
    name_en: str
    points: float

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True, slots=True)
class BonusItem:
    """A bonus item (58-60): its cap, and its levels or its discretionary range."""

    number: int
    max: float
    text: str
    text_en: str
    levels: tuple[BonusLevel, ...] = ()
    # Discretionary items (60) allow any multiple of ``step`` in [min, max] instead of levels.
    discretionary: tuple[float, float, float] | None = None

    def label(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text

    def allowed_points(self) -> tuple[float, ...]:
        """Every points value an entry of this item may carry, ascending."""
        if self.discretionary is not None:
            lo, hi, step = self.discretionary
            n = round((hi - lo) / step)
            return tuple(lo + i * step for i in range(n + 1))
        return tuple(sorted({lv.points for lv in self.levels}))

    def level(self, key: str) -> BonusLevel | None:
        return next((lv for lv in self.levels if lv.key == key), None)


@dataclass(frozen=True, slots=True)
class VetoCondition:
    """One of the one-vote-veto conditions of item 61."""

    number: int
    text: str
    text_en: str

    def label(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: its days, its due time (+08:00) and its target."""

    label: str
    name: str
    name_en: str
    first: dt.date
    last: dt.date
    due: dt.datetime
    target: float

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def display(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name

    def needed(self, stations: int) -> int:
        """Stations that must have passed for the target to be met: ceil(target x stations)."""
        # Round first so 0.75 * 4 does not become 3.0000000000000004 and ask for 4.
        return math.ceil(round(self.target * stations, 9))


@dataclass(frozen=True, slots=True)
class Campaign:
    """One county notice as data: rubric, rules, periods and targets, validated."""

    id: str
    doc_number: str
    issuer: str
    issuer_en: str
    issued: dt.date
    title: str
    title_en: str
    recipient: str
    recipient_en: str
    mailbox: str
    area_code: str
    max_people_served: int
    plan_first_month: str
    plan_last_month: str
    total: float
    pass_mark: float
    partial_scores: bool
    score_step: float
    bonus_cap: float
    note: str
    note_en: str
    periods: tuple[Period, ...]
    categories: tuple[Category, ...]
    items: tuple[Item, ...]
    bonus: tuple[BonusItem, ...]
    veto_number: int
    veto_conditions: tuple[VetoCondition, ...]
    rubric_hash: str
    _items_by_number: dict[int, Item] = field(repr=False, compare=False, default_factory=dict)

    def title_for(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title

    def item(self, number: int) -> Item:
        return self._items_by_number[number]

    def has_item(self, number: int) -> bool:
        return number in self._items_by_number

    def bonus_item(self, number: int) -> BonusItem | None:
        return next((b for b in self.bonus if b.number == number), None)

    def category(self, number: int) -> Category:
        return self.categories[number - 1]

    def period(self, label: str) -> Period | None:
        return next((p for p in self.periods if p.label == label), None)

    def period_of(self, day: dt.date) -> Period | None:
        return next((p for p in self.periods if p.contains(day)), None)

    def plan_months(self) -> list[str]:
        """The months a station may be planned for, as ``YYYY-MM``, first to last."""
        y, m = (int(x) for x in self.plan_first_month.split("-"))
        ly, lm = (int(x) for x in self.plan_last_month.split("-"))
        out = []
        while (y, m) <= (ly, lm):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def allowed_scores(self, number: int) -> tuple[float, ...]:
        """The scores a standard item may take under this campaign, ascending."""
        mx = self.item(number).max
        if not self.partial_scores:
            return (0.0, mx)
        n = round(mx / self.score_step)
        return tuple(i * self.score_step for i in range(n + 1))


# ---------------------------------------------------------------------------------------------
# Loading and validation


def _req(d: dict[str, Any], key: str, kind: type | tuple[type, ...], path: str, src: str) -> Any:
    if key not in d:
        raise CampaignError(f"{path}{key}", "missing", src)
    value = d[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python: refuse it where a number is wanted.
    if isinstance(value, bool) and bool not in kinds:
        raise CampaignError(f"{path}{key}", f"expected {_kind_name(kinds)}, got {value!r}", src)
    if not isinstance(value, kinds):
        raise CampaignError(f"{path}{key}", f"expected {_kind_name(kinds)}, got {value!r}", src)
    if isinstance(value, str) and not value.strip():
        raise CampaignError(f"{path}{key}", "must not be empty", src)
    return value


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {int: "a number", float: "a number", str: "text", bool: "true or false"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def _num(d: dict[str, Any], key: str, path: str, src: str) -> float:
    value = float(_req(d, key, (int, float), path, src))
    if not math.isfinite(value):
        raise CampaignError(f"{path}{key}", "must be a finite number", src)
    return value


def _multiple(value: float, step: float) -> bool:
    return abs(value / step - round(value / step)) < 1e-9


def _table_list(d: dict[str, Any], key: str, src: str) -> list[dict[str, Any]]:
    value = d.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(x, dict) for x in value):
        raise CampaignError(key, "missing or not a list of tables ([[" + key + "]])", src)
    return value


def _check_unknown(d: dict[str, Any], known: set[str], path: str, src: str) -> None:
    for key in d:
        if key not in known:
            raise CampaignError(f"{path}{key}", "unknown key", src)


_TOP_KEYS = {
    "schema", "id", "doc_number", "issuer", "issuer_en", "issued", "title", "title_en",
    "recipient", "recipient_en", "mailbox", "area_code", "max_people_served",
    "plan_first_month", "plan_last_month", "scoring", "periods", "categories", "items", "bonus",
    "veto",
}  # fmt: skip


def parse_campaign(data: dict[str, Any], source: str = "") -> Campaign:
    """Validate a parsed campaign file and build the :class:`Campaign`. Raises CampaignError."""
    src = source
    _check_unknown(data, _TOP_KEYS, "", src)
    if _req(data, "schema", int, "", src) != 1:
        raise CampaignError("schema", "unsupported campaign schema (this version reads 1)", src)
    cid = _req(data, "id", str, "", src)
    if not all(c.isalnum() or c in "-_." for c in cid):
        raise CampaignError("id", "only letters, digits, '-', '_' and '.' are allowed", src)
    issued = _req(data, "issued", dt.date, "", src)
    mailbox = _req(data, "mailbox", str, "", src)
    if mailbox.count("@") != 1 or "." not in mailbox.split("@")[1]:
        raise CampaignError("mailbox", f"not an e-mail address: {mailbox!r}", src)
    area_code = _req(data, "area_code", str, "", src)
    if not (area_code.isdigit() and area_code.startswith("0") and 3 <= len(area_code) <= 4):
        raise CampaignError("area_code", "must be a Chinese area code such as 023", src)
    max_people = _req(data, "max_people_served", int, "", src)
    first_m = _req(data, "plan_first_month", str, "", src)
    last_m = _req(data, "plan_last_month", str, "", src)
    for key, value in (("plan_first_month", first_m), ("plan_last_month", last_m)):
        try:
            dt.date.fromisoformat(value + "-01")
        except ValueError:
            raise CampaignError(key, f"expected YYYY-MM, got {value!r}", src) from None
    if first_m > last_m:
        raise CampaignError("plan_last_month", "comes before plan_first_month", src)

    scoring = data.get("scoring")
    if not isinstance(scoring, dict):
        raise CampaignError("scoring", "missing table [scoring]", src)
    _check_unknown(
        scoring,
        {"total", "pass_mark", "partial_scores", "score_step", "bonus_cap", "note", "note_en"},
        "scoring.",
        src,
    )
    total = _num(scoring, "total", "scoring.", src)
    pass_mark = _num(scoring, "pass_mark", "scoring.", src)
    partial = _req(scoring, "partial_scores", bool, "scoring.", src)
    step = _num(scoring, "score_step", "scoring.", src)
    if step not in ALLOWED_STEPS:
        raise CampaignError("scoring.score_step", f"must be one of {ALLOWED_STEPS}", src)
    bonus_cap = _num(scoring, "bonus_cap", "scoring.", src)
    if not 0 < pass_mark <= total:
        raise CampaignError("scoring.pass_mark", f"must lie in (0, total={total:g}]", src)
    if bonus_cap < 0:
        raise CampaignError("scoring.bonus_cap", "must not be negative", src)

    periods = _parse_periods(data, src)
    categories_raw = _table_list(data, "categories", src)
    items_raw = _table_list(data, "items", src)

    items: list[Item] = []
    seen: set[int] = set()
    for i, raw in enumerate(items_raw):
        p = f"items[{i}]."
        _check_unknown(raw, {"number", "category", "max", "text", "text_en"}, p, src)
        number = _req(raw, "number", int, p, src)
        if number in seen:
            raise CampaignError(f"{p}number", f"item number {number} appears twice", src)
        seen.add(number)
        mx = _num(raw, "max", p, src)
        if mx <= 0:
            raise CampaignError(f"{p}max", f"item {number}: maximum must be positive", src)
        if not _multiple(mx, step):
            raise CampaignError(f"{p}max", f"item {number}: not a multiple of {step:g}", src)
        items.append(
            Item(
                number=number,
                category=_req(raw, "category", int, p, src),
                max=mx,
                text=_req(raw, "text", str, p, src),
                text_en=_req(raw, "text_en", str, p, src),
            )
        )
    numbers = [it.number for it in items]
    if numbers != list(range(1, len(items) + 1)):
        raise CampaignError("items", "item numbers must run 1, 2, 3 ... in order", src)
    item_sum = sum(it.max for it in items)
    if abs(item_sum - total) > 1e-9:
        raise CampaignError(
            "scoring.total", f"the item maxima sum to {item_sum:g}, not the declared {total:g}", src
        )

    for idx, it in enumerate(items):
        if not 1 <= it.category <= len(categories_raw):
            raise CampaignError(
                f"items[{idx}].category", f"item {it.number}: no category {it.category}", src
            )

    categories: list[Category] = []
    for i, raw in enumerate(categories_raw):
        p = f"categories[{i}]."
        _check_unknown(raw, {"number", "numeral", "name", "name_en", "subtotal"}, p, src)
        number = _req(raw, "number", int, p, src)
        if number != i + 1:
            raise CampaignError(f"{p}number", f"expected {i + 1}, got {number}", src)
        members = tuple(it.number for it in items if it.category == number)
        if not members:
            raise CampaignError(f"{p}number", f"category {number} has no items", src)
        subtotal = _num(raw, "subtotal", p, src)
        actual = sum(it.max for it in items if it.category == number)
        if abs(actual - subtotal) > 1e-9:
            raise CampaignError(
                f"{p}subtotal",
                f"category {number}: items sum to {actual:g}, not the declared {subtotal:g}",
                src,
            )
        categories.append(
            Category(
                number=number,
                numeral=_req(raw, "numeral", str, p, src),
                name=_req(raw, "name", str, p, src),
                name_en=_req(raw, "name_en", str, p, src),
                subtotal=subtotal,
                items=members,
            )
        )
    # Items of a category must be contiguous so the sheet reads like the paper table.
    order = [it.category for it in items]
    if order != sorted(order):
        raise CampaignError("items", "items must be listed category by category", src)

    bonus = _parse_bonus(data, len(items), bonus_cap, src)
    veto_number, veto = _parse_veto(data, len(items) + len(bonus), src)

    campaign = Campaign(
        id=cid,
        doc_number=_req(data, "doc_number", str, "", src),
        issuer=_req(data, "issuer", str, "", src),
        issuer_en=_req(data, "issuer_en", str, "", src),
        issued=issued,
        title=_req(data, "title", str, "", src),
        title_en=_req(data, "title_en", str, "", src),
        recipient=_req(data, "recipient", str, "", src),
        recipient_en=_req(data, "recipient_en", str, "", src),
        mailbox=mailbox,
        area_code=area_code,
        max_people_served=max_people,
        plan_first_month=first_m,
        plan_last_month=last_m,
        total=total,
        pass_mark=pass_mark,
        partial_scores=partial,
        score_step=step,
        bonus_cap=bonus_cap,
        note=str(scoring.get("note", "")),
        note_en=str(scoring.get("note_en", "")),
        periods=periods,
        categories=tuple(categories),
        items=tuple(items),
        bonus=bonus,
        veto_number=veto_number,
        veto_conditions=veto,
        rubric_hash="",
        _items_by_number={it.number: it for it in items},
    )
    object.__setattr__(campaign, "rubric_hash", structure_hash(campaign))
    return campaign


def _parse_periods(data: dict[str, Any], src: str) -> tuple[Period, ...]:
    out: list[Period] = []
    for i, raw in enumerate(_table_list(data, "periods", src)):
        p = f"periods[{i}]."
        _check_unknown(raw, {"label", "name", "name_en", "first", "last", "due", "target"}, p, src)
        first = _req(raw, "first", dt.date, p, src)
        last = _req(raw, "last", dt.date, p, src)
        # tomllib gives datetime for a date-time; both are dt.date instances: insist on plain dates.
        for key, value in (("first", first), ("last", last)):
            if isinstance(value, dt.datetime):
                raise CampaignError(f"{p}{key}", "expected a date (YYYY-MM-DD)", src)
        due = _req(raw, "due", dt.datetime, p, src)
        if due.tzinfo is None:
            due = due.replace(tzinfo=CHINA_TZ)
        target = _num(raw, "target", p, src)
        if not 0 < target <= 1:
            raise CampaignError(f"{p}target", f"must lie in (0, 1], got {target:g}", src)
        if last < first:
            raise CampaignError(f"{p}last", "comes before first", src)
        if due.astimezone(CHINA_TZ).date() < last:
            raise CampaignError(f"{p}due", "is before the period's last day", src)
        if out:
            prev = out[-1]
            if first != prev.last + dt.timedelta(days=1):
                raise CampaignError(
                    f"{p}first", f"must be the day after {prev.label} ends ({prev.last})", src
                )
            if target <= prev.target:
                raise CampaignError(
                    f"{p}target", f"targets must rise ({prev.target:g} before)", src
                )
        label = _req(raw, "label", str, p, src)
        if any(x.label == label for x in out):
            raise CampaignError(f"{p}label", f"period {label} appears twice", src)
        out.append(
            Period(
                label=label,
                name=_req(raw, "name", str, p, src),
                name_en=_req(raw, "name_en", str, p, src),
                first=first,
                last=last,
                due=due,
                target=target,
            )
        )
    return tuple(out)


def _parse_bonus(
    data: dict[str, Any], last_item: int, cap: float, src: str
) -> tuple[BonusItem, ...]:
    out: list[BonusItem] = []
    for i, raw in enumerate(_table_list(data, "bonus", src)):
        p = f"bonus[{i}]."
        _check_unknown(raw, {"number", "max", "text", "text_en", "levels", "discretionary"}, p, src)
        number = _req(raw, "number", int, p, src)
        if number != last_item + i + 1:
            raise CampaignError(f"{p}number", f"expected {last_item + i + 1}, got {number}", src)
        mx = _num(raw, "max", p, src)
        if not 0 < mx <= cap:
            raise CampaignError(f"{p}max", f"item {number}: must lie in (0, {cap:g}]", src)
        levels: list[BonusLevel] = []
        disc: tuple[float, float, float] | None = None
        if "discretionary" in raw:
            if "levels" in raw:
                raise CampaignError(p + "levels", "an item has levels or is discretionary", src)
            d = raw["discretionary"]
            if not isinstance(d, dict):
                raise CampaignError(f"{p}discretionary", "expected {min, max, step}", src)
            q = f"{p}discretionary."
            _check_unknown(d, {"min", "max", "step"}, q, src)
            lo, hi, step = _num(d, "min", q, src), _num(d, "max", q, src), _num(d, "step", q, src)
            if not 0 < lo <= hi <= mx:
                raise CampaignError(f"{q}max", f"need 0 < min <= max <= {mx:g}", src)
            if step <= 0 or not _multiple(hi - lo, step) or not _multiple(lo, step):
                raise CampaignError(f"{q}step", "min and max must be multiples of step", src)
            disc = (lo, hi, step)
        else:
            raw_levels = raw.get("levels")
            if not isinstance(raw_levels, list) or not raw_levels:
                raise CampaignError(f"{p}levels", f"item {number}: levels are missing", src)
            for j, lv in enumerate(raw_levels):
                q = f"{p}levels[{j}]."
                if not isinstance(lv, dict):
                    raise CampaignError(q.rstrip("."), "expected a table", src)
                _check_unknown(lv, {"key", "name", "name_en", "points"}, q, src)
                points = _num(lv, "points", q, src)
                if not 0 < points <= mx:
                    raise CampaignError(
                        f"{q}points", f"item {number}: {points:g} exceeds the item's max", src
                    )
                key = _req(lv, "key", str, q, src)
                if any(x.key == key for x in levels):
                    raise CampaignError(f"{q}key", f"level {key} appears twice", src)
                levels.append(
                    BonusLevel(
                        key=key,
                        name=_req(lv, "name", str, q, src),
                        name_en=_req(lv, "name_en", str, q, src),
                        points=points,
                    )
                )
        out.append(
            BonusItem(
                number=number,
                max=mx,
                text=_req(raw, "text", str, p, src),
                text_en=_req(raw, "text_en", str, p, src),
                levels=tuple(levels),
                discretionary=disc,
            )
        )
    return tuple(out)


def _parse_veto(
    data: dict[str, Any], last_item: int, src: str
) -> tuple[int, tuple[VetoCondition, ...]]:
    raw = data.get("veto")
    if not isinstance(raw, dict):
        raise CampaignError("veto", "missing table [veto]", src)
    _check_unknown(raw, {"number", "text", "text_en", "conditions"}, "veto.", src)
    number = _req(raw, "number", int, "veto.", src)
    if number != last_item + 1:
        raise CampaignError("veto.number", f"expected {last_item + 1}, got {number}", src)
    conds: list[VetoCondition] = []
    for i, c in enumerate(_table_list(raw, "conditions", src)):
        p = f"veto.conditions[{i}]."
        _check_unknown(c, {"number", "text", "text_en"}, p, src)
        n = _req(c, "number", int, p, src)
        if n != i + 1:
            raise CampaignError(f"{p}number", f"expected {i + 1}, got {n}", src)
        conds.append(
            VetoCondition(
                number=n, text=_req(c, "text", str, p, src), text_en=_req(c, "text_en", str, p, src)
            )
        )
    return number, tuple(conds)


def structure_hash(c: Campaign) -> str:
    """SHA-256 over the scoring structure only (numbers, maxima, levels, rules, periods).

    Wording is left out on purpose: fixing a typo in an item's text must not invalidate a year of
    batches scored under that rubric.
    """
    structure = {
        "total": c.total,
        "pass_mark": c.pass_mark,
        "partial_scores": c.partial_scores,
        "score_step": c.score_step,
        "bonus_cap": c.bonus_cap,
        "categories": [[cat.number, cat.subtotal, list(cat.items)] for cat in c.categories],
        "items": [[it.number, it.category, it.max] for it in c.items],
        "bonus": [
            [b.number, b.max, [[lv.key, lv.points] for lv in b.levels], b.discretionary]
            for b in c.bonus
        ],
        "veto": [c.veto_number, [v.number for v in c.veto_conditions]],
        "periods": [
            [p.label, p.first.isoformat(), p.last.isoformat(), p.due.isoformat(), p.target]
            for p in c.periods
        ],
    }
    import hashlib  # here, not at the top: a cached campaign (fieldtui.campaigns) needs neither
    import json

    blob = json.dumps(structure, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def load_campaign_file(path: Path) -> Campaign:
    """Read and validate one campaign TOML file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CampaignError("(file)", f"cannot read: {exc.strerror or exc}", str(path)) from None
    return load_campaign_bytes(raw, str(path))


def load_campaign_bytes(raw: bytes, source: str) -> Campaign:
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CampaignError("(file)", "not UTF-8 text", source) from None
    except tomllib.TOMLDecodeError as exc:
        raise CampaignError("(syntax)", str(exc), source) from None
    return parse_campaign(data, source)
