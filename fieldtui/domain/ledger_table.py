"""A ledger spreadsheet as offices keep it, read into an import plan. Pure: no files, no database.

The store's reader (``fieldtui.store.ledger_io``) turns a CSV or XLSX file into a :class:`Table`:
numbered rows of cell values exactly as the spreadsheet shows them (row numbers 1-based, as in
Excel and WPS). This module finds the header row by its Chinese column names (below any title
rows, over one or two header rows), reads every station row, checks it with the ledger's own
rules (:func:`fieldtui.domain.ledger.validate_values`) and compares it with the stations already
in the ledger. The result, an :class:`ImportPlan`, says what would be added, updated (field by
field) and left unchanged, and lists every problem by row and column, in Chinese and English.

Rules decided here (also in docs/cli.md):
- a station is matched to the ledger by its name: exactly, else ignoring width (全角/半角),
  case and spaces; a name that occurs twice in the file is a problem;
- a column the file does not have leaves that field of an existing station as it is; an empty
  cell in a column the file has clears it (the file is the officer's current ledger);
- 是 in a 是否书记或主任 column does not overwrite a ledger that already says which (书记,
  主任 or 书记兼主任);
- a row naming an archived station is not imported (its data is still checked) and the plan
  lists it: restoring a station is a deliberate act in the ledger screen, not a side effect of
  re-importing an old file;
- stations in the ledger but not in the file are left alone (an import never deletes);
- wholly blank rows, total rows (合计/总计/小计) and group headings (一、第一片区 merged across
  the row) are skipped and listed; a row of column numbers (1, 2, 3, …) under the header is
  skipped too;
- the first sign-off line under the table (填表人：…, 审核人：…, 注：…, 制表：…) ends it: the rows
  after it are skipped and listed, but one that looks like a station is a problem;
- with no station-name column, a village column names the stations.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from fieldtui.domain.ledger import (
    FIELD_LABELS,
    HEAD_ROLE_EN,
    HEAD_ROLE_ZH,
    FieldError,
    Station,
    StationInput,
    clean_text,
    validate_values,
)

Cell = str | int | float | bool | dt.date | dt.time | dt.timedelta | None

INPUT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(StationInput))
SEQ = "seq"  # the 序号 column: recognised, then ignored
NUMERIC_FIELDS = ("phone", "people_served", "veterans")

# -- column names as offices write them --------------------------------------------------------

# Exact names after :func:`header_key` normalisation (NFKC, no spaces, brackets half-width, a
# trailing unit such as （人） dropped). Earlier names win when two columns claim one field.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "退役军人服务站名称",
        "服务站名称",
        "站点名称",
        "村(社区)服务站名称",
        "村(社区)退役军人服务站名称",
        "服务站点名称",
        "服务站全称",
        "退役军人服务站",
        "服务站",
        "站名",
        "站点",
        "名称",
    ),
    "village": (
        "村(社区)",
        "所属村(社区)",
        "村社区名称",
        "村(社区)名称",
        "所在村(社区)",
        "村/社区",
        "村社区",
        "所属村社区",
        "村(居)",
        "村(居)名称",
        "所属村",
        "村名",
        "村(社区)名",
        "村",
        "社区",
    ),
    "head": (
        "负责人",
        "服务站负责人",
        "负责人姓名",
        "服务站负责人姓名",
        "站长",
        "站长姓名",
        "服务站站长",
    ),
    "head_role": (
        "负责人职务",
        "是否书记或主任",
        "负责人是否为书记或主任",
        "负责人是否书记或主任",
        "是否为书记或主任",
        "是否村(社区)书记或主任",
        "是否书记、主任",
        "是否书记/主任",
        "负责人身份",
        "现任职务",
        "担任职务",
        "职务",
        "身份",
    ),
    "contact": ("联系人", "联系人姓名", "经办人", "经办人姓名"),
    "phone": (
        "联系电话",
        "联系人电话",
        "联系人手机",
        "联系人联系电话",
        "手机号码",
        "手机",
        "手机号",
        "电话",
        "电话号码",
        "联系方式",
        "联系号码",
        "办公电话",
        "负责人电话",
        "负责人联系电话",
        "负责人手机",
        "站长电话",
    ),
    "people_served": (
        "服务对象数量",
        "服务对象人数",
        "服务对象数",
        "服务对象总数",
        "服务对象数量合计",
        "服务对象",
        "服务人数",
        "服务人口",
        "服务人口数",
        "服务群众数",
    ),
    "veterans": (
        "退役军人数量",
        "退役军人人数",
        "退役军人数",
        "其中退役军人",
        "其中退役军人数量",
        "其中退役军人人数",
        "退役军人",
    ),
    "notes": ("备注", "备注说明", "备注信息", "说明"),
    SEQ: ("序号", "编号", "序", "no", "no.", "#"),
}
_ALIAS_RANK: dict[str, tuple[str, int]] = {
    alias: (fld, rank) for fld, names in ALIASES.items() for rank, alias in enumerate(names)
}
# Words that appear under a merged parent header (负责人 over 姓名 | 职务).
_SUB_WORDS = frozenset(
    {"姓名", "职务", "电话", "手机", "联系电话", "手机号码", "合计", "总数", "人数", "数量", "名称"}
)
_PATTERN_MAX_LEN = 16
_PATTERN_RANK = 100
_TITLE_WORDS = ("台账", "统计", "一览", "汇总", "名单", "情况表", "镇", "乡", "街道", "县")


def header_key(text: str) -> str:
    """Normalise a header cell: NFKC (full-width to half-width), no whitespace or line breaks,
    square brackets as round ones, no required-field marks, a trailing unit like (人) dropped."""
    k = unicodedata.normalize("NFKC", clean_text(text)).lower()
    k = re.sub(r"\s+", "", k)
    k = k.translate(str.maketrans("[]【】〔〕", "()()()", "*★※:"))
    k = re.sub(r"\((单位)?(人|个|名|户|位|人数|个数)\)$", "", k)
    return k


def match_column(text: str) -> tuple[str, int] | None:
    """The field a header cell names, with a rank (lower is a better match), or None."""
    k = header_key(text)
    if not k:
        return None
    if k in _ALIAS_RANK:
        return _ALIAS_RANK[k]
    if len(k) > _PATTERN_MAX_LEN or any(w in k for w in _TITLE_WORDS):
        return None
    rank = _PATTERN_RANK
    if "是否" in k and ("书记" in k or "主任" in k):
        return "head_role", rank
    if "职务" in k or "职位" in k:
        return "head_role", rank
    if any(w in k for w in ("电话", "手机", "联系方式", "号码")):
        # The contact's phone beats the person in charge's when a ledger has both.
        return "phone", rank + (10 if ("负责人" in k or "站长" in k) else 0)
    if ("服务对象" in k and ("数" in k or "人" in k)) or (
        "服务" in k and ("人数" in k or "人口" in k) and "站" not in k and "退役" not in k
    ):
        return "people_served", rank
    if "退役军人" in k and "数" in k and "服务站" not in k:
        return "veterans", rank
    if ("服务站" in k or "站点" in k) and "名" in k:
        return "name", rank
    if "联系人" in k:
        return "contact", rank
    if "负责人" in k or "站长" in k:
        return "head", rank
    if "备注" in k:
        return "notes", rank
    if k.startswith(("村", "所属村", "所在村")) or "社区" in k:
        return "village", rank
    return None


def display_header(value: Cell) -> str:
    """A header cell as a person reads it: line breaks inside Chinese text joined up."""
    text = clean_text(cell_text(value))
    return re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", text)


# -- cells ---------------------------------------------------------------------------------------


def cell_text(value: Cell, fld: str = "") -> str:
    """A cell's value as text, the way the spreadsheet shows it.

    Whole-number floats lose their ``.0`` (a phone stored as the number 13800000000 or
    1.38e10 reads as ``13800000000``; a count of 35.0 as ``35``); ``True``/``False`` read as
    是/否. For the phone and count columns a leading apostrophe (Excel's "keep as text" mark) and
    the ``="..."`` wrapper are removed. In any column, an apostrophe that guards a leading
    ``= + - @`` (what our own CSV export writes against formula injection) is removed.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = str(value)
    stripped = text.strip()
    if fld in NUMERIC_FIELDS:
        m = re.fullmatch(r'="(.*)"', stripped)
        if m:
            stripped = m.group(1).strip()
        if stripped[:1] in ("'", "‘", "’", "`"):
            stripped = stripped[1:].lstrip()
        if re.fullmatch(r"\d+\.0+", stripped):  # a number a tool wrote as a float
            stripped = stripped.split(".", 1)[0]
        return stripped
    if len(stripped) > 1 and stripped[0] == "'" and stripped[1] in "=+-@":
        return stripped[1:]
    return text


def csv_guard(text: str) -> str:
    """Guard a CSV cell against formula injection (a leading = + - @ or tab/CR), reversibly."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


# -- problems and the plan --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, where: ``row`` as the spreadsheet numbers it (None for the whole file),
    ``column`` the header text as the file writes it ("" for a whole row or the file)."""

    row: int | None
    column: str
    message_zh: str
    message_en: str
    field: str = ""

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh

    def text(self, lang: str) -> str:
        msg = self.message(lang)
        if lang == "en":
            where = [f"row {self.row}"] if self.row is not None else []
            if self.column:
                where.append(f"column {self.column}")
            return f"{', '.join(where)}: {msg}" if where else msg
        where_zh = f"第{self.row}行" if self.row is not None else ""
        if self.column:
            where_zh += f"「{self.column}」"
        return f"{where_zh}：{msg}" if where_zh else msg


@dataclass(frozen=True, slots=True)
class Column:
    index: int  # 0-based position in the row
    header: str  # as the file writes it (both header rows joined when there are two)
    field: str  # a StationInput field, or "" when ignored


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: object
    new: object

    def label(self, lang: str) -> str:
        zh, en = FIELD_LABELS.get(self.field, (self.field, self.field))
        return en if lang == "en" else zh


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """A file row that becomes a station (``station_id`` None: an add), changes one
    (``changes``), leaves one as it is, or names an archived one."""

    row: int
    data: StationInput
    station_id: int | None = None
    changes: tuple[FieldChange, ...] = ()
    archived: dt.date | None = None


@dataclass(frozen=True, slots=True)
class SkippedRow:
    row: int
    reason: str  # "total", "footer", "column_numbers"
    text: str


SKIP_REASONS = {
    "total": ("合计行", "a total row"),
    "footer": ("表尾签署/说明行", "a sign-off or note line under the table"),
    "group": ("分组标题行", "a group heading row"),
    "column_numbers": ("列号行", "a row of column numbers"),
    "header_repeat": ("重复的表头行", "the header row repeated"),
}


@dataclass(frozen=True, slots=True)
class Table:
    """A spreadsheet as read from a file: numbered rows of cells. ``source`` names the file,
    ``kind`` is "csv" or "xlsx", ``encoding`` the CSV's, ``sheet`` the XLSX worksheet."""

    source: str
    kind: str
    rows: Sequence[tuple[int, Sequence[Cell]]]
    encoding: str = ""
    sheet: str = ""
    other_sheets: tuple[str, ...] = ()  # further worksheets that also have a station header
    # (row, column), both 1-based: formula cells the file holds no calculated value for
    unsaved_formulas: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True, slots=True)
class ImportPlan:
    source: str
    kind: str = ""
    encoding: str = ""
    sheet: str = ""
    header_row: int | None = None
    columns: tuple[Column, ...] = ()
    adds: tuple[PlannedRow, ...] = ()
    updates: tuple[PlannedRow, ...] = ()
    unchanged: tuple[PlannedRow, ...] = ()
    archived: tuple[PlannedRow, ...] = ()
    skipped: tuple[SkippedRow, ...] = ()
    problems: tuple[Problem, ...] = ()
    not_in_file: int = 0
    fingerprint: str = ""  # of the ledger the plan was made against
    notes: tuple[tuple[str, str], ...] = field(default=())  # (zh, en) remarks, e.g. BOM found

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns if not c.field)

    @property
    def used_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.field)

    @property
    def has_changes(self) -> bool:
        return bool(self.adds or self.updates)

    def report(self, lang: str = "zh") -> list[str]:
        """The plan as lines a person reads: what the file is, then every problem, or what
        would be added, updated and left alone."""
        en = lang == "en"
        lines: list[str] = []
        what = self._describe(en)
        if what:
            lines.append(what)
        if self.used_columns:
            cols = ", ".join(
                f"{c.header}→{FIELD_LABELS[c.field][1 if en else 0]}" for c in self.used_columns
            )
            lines.append(f"Columns read: {cols}" if en else f"识别的列：{cols}")
        if self.ignored_columns:
            ign = ", ".join(h or "(blank)" for h in self.ignored_columns)
            lines.append(f"Columns ignored: {ign}" if en else f"忽略的列：{ign}")
        for zh, en_note in self.notes:
            lines.append(en_note if en else zh)
        for s in self.skipped:
            zh, en_reason = SKIP_REASONS.get(s.reason, (s.reason, s.reason))
            lines.append(
                f"Skipped row {s.row} ({en_reason}): {s.text}"
                if en
                else f"跳过第{s.row}行（{zh}）：{s.text}"
            )
        if self.problems:
            n = len(self.problems)
            lines.append(
                f"{n} problem(s); nothing will be written:" if en else f"发现{n}个问题，不会写入："
            )
            lines.extend(f"  {p.text(lang)}" for p in self.problems)
            return lines
        if self.adds:
            lines.append(
                f"To add ({len(self.adds)}):" if en else f"将新增{len(self.adds)}个服务站："
            )
            lines.extend(
                f"  + {('row ' + str(r.row)) if en else ('第' + str(r.row) + '行')} {r.data.name}"
                for r in self.adds
            )
        if self.updates:
            lines.append(
                f"To update ({len(self.updates)}):"
                if en
                else f"将更新{len(self.updates)}个服务站："
            )
            for r in self.updates:
                colon, sep = (": ", "; ") if en else ("：", "；")
                diffs = sep.join(
                    f"{c.label(lang)}{colon}{_show(c.old, c.field, lang)} → "
                    f"{_show(c.new, c.field, lang)}"
                    for c in r.changes
                )
                where = f"row {r.row}" if en else f"第{r.row}行"
                lines.append(
                    f"  ~ {where} {r.data.name}: {diffs}"
                    if en
                    else f"  ~ {where} {r.data.name}：{diffs}"
                )
        if self.unchanged:
            n = len(self.unchanged)
            lines.append(f"Unchanged: {n}" if en else f"不变：{n}个")
        if self.archived:
            lines.append(
                f"Archived in the ledger, not imported ({len(self.archived)}; restore them in the ledger first):"
                if en
                else f"台账中已归档、未导入{len(self.archived)}个（如需恢复，请先在台账中恢复）："
            )
            lines.extend(
                f"  - {('row ' + str(r.row)) if en else ('第' + str(r.row) + '行')} {r.data.name}"
                for r in self.archived
            )
        if self.not_in_file:
            lines.append(
                f"{self.not_in_file} station(s) in the ledger are not in the file and stay as they are."
                if en
                else f"台账中另有{self.not_in_file}个服务站不在文件中，保持不变。"
            )
        if not (self.adds or self.updates or self.unchanged or self.archived):
            lines.append("The file has no station rows." if en else "文件中没有服务站数据行。")
        return lines

    def _describe(self, en: bool) -> str:
        if not self.kind:
            return f"{self.source}:"
        if self.kind == "xlsx":
            what = f"XLSX, sheet {self.sheet!r}" if en else f"XLSX 工作表“{self.sheet}”"
        else:
            enc = _ENCODING_NAMES.get(self.encoding, self.encoding)
            what = f"CSV, {enc}" if en else f"CSV（{enc} 编码）"
        if self.header_row is not None:
            what += f", header on row {self.header_row}" if en else f"，表头在第{self.header_row}行"
        return f"{self.source}: {what}"


_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 BOM",
    "gbk": "GBK",
    "gb18030": "GB18030",
}


def _show(value: object, fld: str, lang: str) -> str:
    if value is None or value == "":
        return "(empty)" if lang == "en" else "（空）"
    if fld == "head_role" and isinstance(value, str):
        return HEAD_ROLE_EN.get(value, value) if lang == "en" else HEAD_ROLE_ZH.get(value, value)
    return str(value)


def refused(source: str, problem: Problem, *, fingerprint: str = "") -> ImportPlan:
    """A plan for a file that could not be read at all: one problem, nothing to write."""
    return ImportPlan(source=source, problems=(problem,), fingerprint=fingerprint)


# -- finding the header ---------------------------------------------------------------------------

HEADER_SCAN_ROWS = 30


@dataclass(frozen=True, slots=True)
class Header:
    row: int  # spreadsheet row number of the (first) header row
    position: int  # index into Table.rows of the last header row
    columns: tuple[Column, ...]


def _row_texts(cells: Sequence[Cell]) -> list[str]:
    return [display_header(c) for c in cells]


def _assign(texts: Sequence[str]) -> tuple[Column, ...] | None:
    """Columns for one candidate header row, or None if it has no station-name column."""
    matches: list[tuple[int, str, str, int]] = []  # index, header, field, rank
    for i, text in enumerate(texts):
        m = match_column(text) if text else None
        if m is not None:
            matches.append((i, text, m[0], m[1]))
    best: dict[str, tuple[int, int]] = {}  # field -> (rank, index)
    for i, _text, fld, rank in matches:
        if fld not in best or rank < best[fld][0]:
            best[fld] = (rank, i)
    exact = "name" in best and best["name"][0] < _PATTERN_RANK
    if "name" not in best:
        if "village" not in best:
            return None
        best["name"] = best.pop("village")  # keyed by village: the village names the station
    chosen = {i for fld, (_r, i) in best.items() if fld != SEQ}
    recognised = len([f for f in best if f != SEQ])
    if recognised < 2 and not exact:
        return None
    field_at = {i: f for f, (_r, i) in best.items()}
    return tuple(
        Column(i, text, field_at[i] if i in chosen else "") for i, text in enumerate(texts)
    )


def find_header(rows: Sequence[tuple[int, Sequence[Cell]]]) -> Header | None:
    """The header among the first HEADER_SCAN_ROWS non-blank rows: a row that names a station
    column (and one more known column, unless the name column's title is unmistakable); of
    several, the one naming the most fields, then the first. A second header row under it
    (负责人 merged over 姓名 | 职务) is joined to it."""
    best: tuple[int, Header] | None = None
    seen = 0
    for pos, (rownum, cells) in enumerate(rows):
        texts = _row_texts(cells)
        if not any(texts):
            continue
        seen += 1
        if seen > HEADER_SCAN_ROWS:
            break
        cols = _assign(texts)
        if cols is None:
            continue
        header = Header(rownum, pos, _trim(cols))
        if pos + 1 < len(rows):
            joined = _join_subheader(texts, _row_texts(rows[pos + 1][1]), cols)
            if joined is not None:
                header = Header(rownum, pos + 1, joined)
        score = len({c.field for c in header.columns if c.field})
        if best is None or score > best[0]:
            best = (score, header)
    return best[1] if best else None


def _trim(cols: tuple[Column, ...]) -> tuple[Column, ...]:
    """Trailing blank header cells are not columns."""
    while cols and not cols[-1].header:
        cols = cols[:-1]
    return cols


def _join_subheader(
    top: Sequence[str], sub: Sequence[str], cols: tuple[Column, ...]
) -> tuple[Column, ...] | None:
    name_idx = next(c.index for c in cols if c.field == "name")
    name_sub = sub[name_idx] if name_idx < len(sub) else ""
    if name_sub and name_sub != top[name_idx]:
        return None
    joined = list(top) + [""] * max(0, len(sub) - len(top))
    changed = False
    for i, child in enumerate(sub):
        parent = top[i] if i < len(top) else ""
        if not child or child == parent:
            continue
        alone = match_column(child)
        both = match_column(parent + child) if parent else None
        if alone is not None and (both is None or header_key(child) not in _SUB_WORDS):
            joined[i] = child
        elif both is not None and (both[1] < _PATTERN_RANK or header_key(child) in _SUB_WORDS):
            joined[i] = parent + child
        else:
            return None
        changed = True
    if not changed:
        return None
    new = _assign(joined)
    return None if new is None else _trim(new)


# -- reading rows -------------------------------------------------------------------------------

_TOTAL = re.compile(r"^(合计|总计|小计|共计|总数)([:：(（\d\s].*)?$")
_FOOTER = re.compile(
    r"^(填表人|制表人|填报人|审核人|审批人|复核人|负责人[:：]|单位负责人|分管领导|主要领导|"
    r"经办人[:：]|填报单位|填报日期|制表日期|填表日期|日期[:：]|注[:：]|说明[:：]|备注[:：]|"
    r"联系电话[:：]|(\(|（)?盖章)"
)


# Any short label and a colon at the start of a line under the table: 制表：…, 统计人：….
_LABEL = re.compile(r"^[\u4e00-\u9fff]{1,8}[:：]")
# A group heading over some of the stations: 一、第一片区, （二）, 第三片区, 第二批.
_GROUP = re.compile(
    r"^([一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|"
    r"第[一二三四五六七八九十\d]+(片区|片|组|批|网格|工作片)$)"
)


def is_sign_off(text: str) -> bool:
    """A total (合计 …) or a sign-off/note line under the table (填表人：…, 注：…)."""
    t = clean_text(text).replace(" ", "")
    return bool(_TOTAL.match(t) or _FOOTER.match(t))


def _starts_tail(first: str) -> bool:
    """A sign-off or note line: what comes under the table, never a station."""
    t = first.replace(" ", "")
    return bool(_FOOTER.match(t) or _LABEL.match(t))


def _is_group(values: Mapping[str, str]) -> bool:
    """A group heading: one text merged across the row's columns, or a numbered heading
    (一、…, 第二片区) alone in the name column."""
    texts = [t for v in values.values() if (t := clean_text(v))]
    if len(texts) >= 2 and len(set(texts)) == 1:
        return True
    name = clean_text(values.get("name", "")).replace(" ", "")
    return len(texts) == 1 and bool(name) and bool(_GROUP.match(name))


def _first_text(cells: Sequence[str]) -> str:
    return next((c for c in cells if c), "")


def _is_total(values: Mapping[str, str], everything: Sequence[str]) -> bool:
    """A total row: 合计/总计/小计 in the name column, or first in a row without a name."""
    name = clean_text(values.get("name", "")).replace(" ", "")
    if name:
        return bool(_TOTAL.match(name))
    return bool(_TOTAL.match(_first_text(everything).replace(" ", "")))


def _is_column_numbers(texts: Sequence[str]) -> bool:
    nums = [t for t in texts if t]
    if len(nums) < 3 or not all(re.fullmatch(r"\d{1,2}", t) for t in nums):
        return False
    values = [int(t) for t in nums]
    return values == list(range(values[0], values[0] + len(values))) and values[0] in (0, 1)


def build_plan(
    table: Table,
    existing: Iterable[Station],
    area_code: str,
    max_people: int = 100,
) -> ImportPlan:
    """Read ``table`` against the ledger ``existing`` (archived stations included)."""
    stations = list(existing)
    fingerprint = ledger_fingerprint(stations)
    header = find_header(table.rows)
    if header is None:
        top = next((t for _n, cells in table.rows if any(t := _row_texts(cells))), [])
        seen = "，".join(t for t in top if t)[:80]
        return ImportPlan(
            source=table.source,
            problems=(
                Problem(
                    None,
                    "",
                    "找不到表头：需要一列“服务站名称”（也认 退役军人服务站名称、站点名称、服务站 等）"
                    + (f"；第一行是：{seen}" if seen else "；文件没有内容"),
                    "no header row found: the file needs a station-name column "
                    "(服务站名称, 退役军人服务站名称, 站点名称, 服务站 ...)"
                    + (f"; the first row reads: {seen}" if seen else "; the file is empty"),
                ),
            ),
            fingerprint=fingerprint,
            kind=table.kind,
            encoding=table.encoding,
            sheet=table.sheet,
        )
    columns = header.columns
    used = {c.field: c for c in columns if c.field and c.field != SEQ}
    notes: list[tuple[str, str]] = []
    name_col = used["name"].header
    by_village = (match_column(name_col) or ("",))[0] == "village"
    if by_village:
        notes.append((f"没有“服务站名称”列：以「{name_col}」列的村（社区）名作服务站名称",
                       f"no station-name column: the village in {name_col!r} names each station"))  # fmt: skip
    if table.other_sheets:
        others = "、".join(f"「{s}」" for s in table.other_sheets)
        notes.append((
            f"只导入了工作表「{table.sheet}」；工作表{others}也像是台账，没有导入："
            f"请合并到一张表，或用 fieldtui ledger import 文件 --sheet 表名 逐张导入",
            f"only the worksheet {table.sheet!r} was read; {others} also look like ledgers and "
            f"were not: merge them into one sheet, or import each with --sheet NAME",
        ))  # fmt: skip
    by_exact: dict[str, Station] = {s.name: s for s in stations}
    by_key: dict[str, list[Station]] = {}
    for s in stations:
        by_key.setdefault(name_key(s.name), []).append(s)

    # Rows after the header: texts per used field, and the whole row's texts.
    body: list[tuple[int, dict[str, str], list[str]]] = []
    for rownum, cells in table.rows[header.position + 1 :]:
        values = {
            fld: cell_text(cells[c.index] if c.index < len(cells) else None, fld)
            for fld, c in used.items()
        }
        if by_village and "village" not in used:
            values["village"] = values["name"]
        everything = [clean_text(cell_text(v)) for v in cells]
        body.append((rownum, values, everything))

    def station_like(values: Mapping[str, str]) -> bool:
        """Two or more fields, a name that is no label, and valid: a station row."""
        name = clean_text(values.get("name", ""))
        filled = {t for v in values.values() if (t := clean_text(v))}
        if not name or "：" in name or ":" in name or len(filled) < 2:
            return False
        return not validate_values(values, area_code, max_people)[1]

    skipped: list[SkippedRow] = []
    problems: list[Problem] = []
    adds: list[PlannedRow] = []
    updates: list[PlannedRow] = []
    unchanged: list[PlannedRow] = []
    archived: list[PlannedRow] = []
    seen_names: dict[str, int] = {}
    matched_ids: set[int] = set()
    first_data = True
    started = False  # a station row has been read
    tail: tuple[int, str] | None = None  # the first sign-off line under the table, and its text
    for rownum, values, everything in body:
        unsaved = [
            c.header for c in used.values() if (rownum, c.index + 1) in table.unsaved_formulas
        ]
        if unsaved:
            problems.append(Problem(
                rownum, unsaved[0],
                "这一格是公式，但文件里没有保存计算结果（多为程序生成的文件）："
                "请在 WPS/Excel 中打开并保存后再导入",
                "this cell holds a formula but the file has no calculated value for it (a file "
                "a program wrote): open it in WPS/Excel, save it, and import again",
            ))  # fmt: skip
            started = True
            continue
        first = _first_text(everything)
        line = " ".join(dict.fromkeys(t for t in everything if t))[:80]
        if tail is None and first and _starts_tail(first) and not station_like(values):
            if not started:
                skipped.append(SkippedRow(rownum, "footer", line))
                continue
            tail = (rownum, line)  # everything from here down is under the table
        if tail is not None:
            if not first:
                continue
            if _is_total(values, everything):
                skipped.append(SkippedRow(rownum, "total", first[:60]))
            elif station_like(values):
                problems.append(Problem(
                    rownum, "",
                    f"这一行在表尾第{tail[0]}行（{tail[1][:30]}）之下，却像一行服务站数据："
                    "请把它移回表格中，或删去表尾以下的内容",
                    f"this row is under the sign-off line at row {tail[0]} ({tail[1][:30]}) but "
                    "looks like a station: move it into the table, or delete what is under the "
                    "sign-off",
                ))  # fmt: skip
            else:
                skipped.append(SkippedRow(rownum, "footer", line))
            continue
        if not any(clean_text(v) for v in values.values()):
            continue  # wholly blank (a 序号 alone does not count)
        if _is_group(values):
            skipped.append(SkippedRow(rownum, "group", _first_text(list(values.values()))[:60]))
            continue
        if first_data and _is_column_numbers(everything):
            skipped.append(
                SkippedRow(rownum, "column_numbers", " ".join(t for t in everything if t)[:60])
            )
            first_data = False
            continue
        first_data = False
        if _is_total(values, everything):
            skipped.append(SkippedRow(rownum, "total", _first_text(everything)[:60]))
            continue
        started = True
        if [display_header(values.get(f, "")) for f in used] == [c.header for c in used.values()]:
            skipped.append(SkippedRow(rownum, "header_repeat", used["name"].header))
            continue
        name = clean_text(values.get("name", ""))
        match = _find(name, by_exact, by_key) if name else None
        raw: dict[str, object] = {}
        if match is not None:
            raw.update({f: getattr(match, f) for f in INPUT_FIELDS})
        raw.update(values)
        data, errors = validate_values(raw, area_code, max_people)
        for err in errors:
            problems.append(_problem(rownum, err, used, values))
        if name and (m := match_column(name)) is not None and m[1] < _PATTERN_RANK:
            problems.append(
                Problem(
                    rownum,
                    used["name"].header,
                    f"“{name}”是列名，不是服务站名称：表头是否被拆成了两行？",
                    f"{name!r} is a column name, not a station: is the header split over two rows?",
                    "name",
                )
            )
            continue
        if name:
            key = name_key(name)
            if key in seen_names:
                col = used["name"].header
                problems.append(
                    Problem(
                        rownum,
                        col,
                        f"服务站“{name}”与第{seen_names[key]}行重复",
                        f"station {name!r} repeats row {seen_names[key]}",
                        "name",
                    )
                )
                continue
            seen_names[key] = rownum
        if errors:
            continue
        if match is None:
            adds.append(PlannedRow(rownum, data))
            continue
        matched_ids.add(match.id)
        if match.archived is not None:
            archived.append(PlannedRow(rownum, data, match.id, (), match.archived))
            continue
        old = match.as_input()
        if data.head_role == "either" and old.head_role in ("secretary", "director", "both"):
            # 是 in a 是否书记或主任 column agrees with the ledger's more precise role: keep it.
            data = replace(data, head_role=old.head_role)
        changes = tuple(
            FieldChange(f, getattr(old, f), getattr(data, f))
            for f in INPUT_FIELDS
            if getattr(old, f) != getattr(data, f)
        )
        target = updates if changes else unchanged
        target.append(PlannedRow(rownum, data, match.id, changes))

    not_in_file = sum(1 for s in stations if s.archived is None and s.id not in matched_ids)
    problems.sort(key=lambda p: (p.row or 0, _field_order(p.field)))
    return ImportPlan(
        source=table.source,
        header_row=header.row,
        columns=columns,
        adds=tuple(adds),
        updates=tuple(updates),
        unchanged=tuple(unchanged),
        archived=tuple(archived),
        skipped=tuple(sorted(skipped, key=lambda s: s.row)),
        problems=tuple(problems),
        not_in_file=not_in_file,
        fingerprint=fingerprint,
        kind=table.kind,
        encoding=table.encoding,
        sheet=table.sheet,
        notes=tuple(notes),
    )


def _field_order(fld: str) -> int:
    return INPUT_FIELDS.index(fld) if fld in INPUT_FIELDS else len(INPUT_FIELDS)


def _find(
    name: str, by_exact: Mapping[str, Station], by_key: Mapping[str, list[Station]]
) -> Station | None:
    if name in by_exact:
        return by_exact[name]
    candidates = by_key.get(name_key(name), [])
    return candidates[0] if len(candidates) == 1 else None


def name_key(name: str) -> str:
    """Names that are the same station: width (全角/半角), case and spaces ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


_SCI = re.compile(r"[-+]?\d(\.\d+)?[eE][-+]?\d+")


def _problem(
    rownum: int, err: FieldError, used: Mapping[str, Column], values: Mapping[str, str]
) -> Problem:
    col = (
        used[err.field].header
        if err.field in used
        else FIELD_LABELS.get(err.field, (err.field,))[0]
    )
    zh, en = err.problem, err.problem_en
    if err.field == "phone" and _SCI.fullmatch(values.get("phone", "").strip()):
        zh += "（这是科学计数法显示的号码，位数已丢失：请把该列设为“文本”格式，重新填写后保存）"
        en += " (the number was saved in scientific notation and its digits are lost: format the column as text and type it again)"
    return Problem(rownum, col, zh, en, err.field)


def ledger_fingerprint(stations: Iterable[Station]) -> str:
    """A digest of the ledger's stations (every field): a plan applies only to the ledger it was
    made against."""
    rows = sorted(
        ({k: v for k, v in s.as_dict().items() if k != "pinyin"} for s in stations),
        key=lambda d: int(str(d["id"])),
    )
    blob = json.dumps(rows, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# -- the export layout ------------------------------------------------------------------------------

EXPORT_HEADER: tuple[str, ...] = (
    "序号",
    "退役军人服务站名称",
    "村（社区）",
    "负责人",
    "负责人职务",
    "联系人",
    "联系电话",
    "服务对象数量（人）",
    "退役军人数量（人）",
    "备注",
)


def export_rows(stations: Iterable[Station]) -> list[list[str | int | None]]:
    """The ledger as the export writes it: the header row, then one row per station."""
    out: list[list[str | int | None]] = [list(EXPORT_HEADER)]
    for n, s in enumerate(stations, start=1):
        out.append(
            [
                n,
                s.name,
                s.village,
                s.head,
                HEAD_ROLE_ZH.get(s.head_role, s.head_role),
                s.contact,
                s.phone,
                s.people_served,
                s.veterans,
                s.notes,
            ]
        )
    return out
