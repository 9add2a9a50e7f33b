"""Ledger files under hypothesis (issue 5, item 11).

Generated ledgers (Chinese names, quotes, commas, line breaks inside fields, full-width
characters, phones and counts written the ways offices write them) are saved as UTF-8, UTF-8 with
BOM, GBK, GB18030 (only characters each can hold) and XLSX, sometimes under a title row. Every one
imports to exactly the stations the ledger's own rules make of it, re-imports as unchanged, and
round-trips exactly through both export formats. Cut-off, binary and mixed-encoding files are
refused, naming the row where there is one, and the database is unchanged.

Counts: 40 examples per property by default; FIELDTUI_STRESS=1 (``make stress``) runs 400.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fieldtui.campaigns import active
from fieldtui.domain.ledger import StationInput, clean_text, validate_values
from fieldtui.domain.ledger_table import is_sign_off, match_column, name_key
from fieldtui.store.ledger_io import apply_import, export_ledger, plan_import
from fieldtui.store.store import Store, open_store

STRESS = os.environ.get("FIELDTUI_STRESS") == "1"
PROPERTY = settings(
    max_examples=400 if STRESS else 40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CAMPAIGN = active(None)
FORMATS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "xlsx")


# -- alphabets --------------------------------------------------------------------------------


def _gb2312_level1() -> str:
    """The 3,755 most common Chinese characters (GB2312 level 1), all encodable in GBK."""
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            with suppress(UnicodeDecodeError):
                chars.append(bytes([hi, lo]).decode("gb2312"))
    return "".join(chars)


HANZI = _gb2312_level1()
FULL_WIDTH = "，。、；：？！“”‘’（）《》【】—…·　＂＇＃％＆＊＋－／＜＝＞＠［］＾＿｛｜｝～０１２３ＡＢＣａｂｃ"
ASCII = "".join(chr(c) for c in range(0x20, 0x7F))
BREAKS = "\n\r\t"
GB18030_ONLY = "𠀀𪚥𠮷䶮㐀"  # CJK extensions: GB18030 has them, GBK does not
UTF8_ONLY = "😀éßΩ한"


def alphabet(fmt: str) -> str:
    chars = HANZI[:400] + FULL_WIDTH + ASCII
    if fmt != "xlsx":
        chars += BREAKS  # XLSX keeps line breaks too, but XML turns a lone CR into LF
    else:
        chars += "\n\t"
    if fmt in ("gb18030", "utf-8", "utf-8-sig", "xlsx"):
        chars += GB18030_ONLY
    if fmt in ("utf-8", "utf-8-sig", "xlsx"):
        chars += UTF8_ONLY
    if fmt in ("gbk", "gb18030"):
        chars = "".join(c for c in chars if _encodes(c, fmt))
    return chars


def _encodes(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


# -- ledgers ----------------------------------------------------------------------------------

HEADERS = (
    (
        "序号",
        "退役军人服务站名称",
        "村（社区）",
        "负责人",
        "负责人职务",
        "联系人",
        "联系电话",
        "服务对象数量（人）",
        "退役军人数量",
        "备注",
    ),
    (
        "序号",
        "服务站名称",
        "所属村（社区）",
        "站长",
        "是否书记或主任",
        "联系人",
        "手机号码",
        "服务对象\n人数",
        "退役军人人数",
        "备注",
    ),
    (
        "序号",
        "站点名称",
        "村社区名称",
        "负责人姓名",
        "职务",
        "联系人",
        "联系方式",
        "服务对象数量",
        "其中：退役军人",
        "说明",
    ),
)
ROLES = (
    "",
    "书记",
    "主任",
    "书记兼主任",
    "一肩挑",
    "是",
    "否",
    "其他",
    "村支书",
    "副主任",
    "书记或主任",
)
TITLE = "XX镇服务对象100人以下村（社区）退役军人服务站台账"


def lossless(text: str) -> bool:
    """Text the importer keeps as written (after the ledger's whitespace rules): a leading
    apostrophe before = + - @ is the CSV export's formula guard and is removed on import."""
    s = text.strip()
    return not (len(s) > 1 and s[0] == "'" and s[1] in "=+-@")


@st.composite
def phones(draw: st.DrawFn) -> tuple[str | int, bool]:
    """(phone as written, may it be written as a number in XLSX)."""
    kind = draw(st.sampled_from(["none", "mobile", "landline", "local"]))
    if kind == "none":
        return "", False
    if kind == "mobile":
        digits = draw(st.sampled_from("3456789")) + "".join(
            draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9))
        )
        number = "1" + digits
        style = draw(st.sampled_from(["plain", "spaced", "hyphen", "+86", "0086"]))
        text = {
            "plain": number,
            "spaced": f"{number[:3]} {number[3:7]} {number[7:]}",
            "hyphen": f"{number[:3]}-{number[3:7]}-{number[7:]}",
            "+86": f"+86 {number}",
            "0086": f"0086-{number}",
        }[style]
        return text, style == "plain"
    local = draw(st.sampled_from("2345678")) + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=7, max_size=7))
    )
    if kind == "local":
        return local, False
    code = draw(st.sampled_from(["023", "028", "010", "0851"]))
    style = draw(st.sampled_from(["hyphen", "brackets", "full-width", "ext"]))
    return {
        "hyphen": f"{code}-{local}",
        "brackets": f"({code}){local}",
        "full-width": f"（{code}）{local}",
        "ext": f"{code}-{local}转12",
    }[style], False


@dataclass(frozen=True)
class Row:
    cells: tuple[
        Any, ...
    ]  # as written: name, village, head, role, contact, phone, people, veterans, notes

    def raw(self) -> dict[str, object]:
        keys = (
            "name",
            "village",
            "head",
            "head_role",
            "contact",
            "phone",
            "people_served",
            "veterans",
            "notes",
        )
        return dict(zip(keys, self.cells, strict=True))


@st.composite
def rows(draw: st.DrawFn, fmt: str) -> Row:
    chars = alphabet(fmt)
    text = st.text(alphabet=chars, max_size=12).filter(lossless)
    hanzi = st.text(alphabet=HANZI, min_size=2, max_size=6)
    name = (
        draw(st.text(alphabet=" \u3000", max_size=1))
        + draw(hanzi)
        + draw(st.text(alphabet=chars, max_size=10))
        + draw(st.sampled_from(["村退役军人服务站", "社区服务站", "站", ""]))
    )
    assume(lossless(name) and clean_text(name) and not is_sign_off(name))
    m = match_column(name)
    assume(m is None or m[1] >= 100)
    phone, numeric = draw(phones())
    if fmt == "xlsx" and numeric and draw(st.booleans()):
        phone = int(phone) if draw(st.booleans()) else float(int(phone))
    people = draw(st.none() | st.integers(0, CAMPAIGN.max_people_served))
    veterans = None if people is None else draw(st.none() | st.integers(0, people))

    def count(n: int | None) -> Any:
        if n is None:
            return ""
        if fmt == "xlsx":
            return draw(st.sampled_from([n, float(n), str(n), f"{n}人"]))
        return draw(st.sampled_from([str(n), f"{n}.0", f"{n}人", f" {n} "]))

    notes = draw(st.text(alphabet=chars, max_size=40).filter(lossless))
    return Row(
        (
            name,
            draw(text),
            draw(text),
            draw(st.sampled_from(ROLES)),
            draw(text),
            phone,
            count(people),
            count(veterans),
            notes,
        )
    )


@st.composite
def ledgers(
    draw: st.DrawFn, fmt: str, min_size: int = 0
) -> tuple[list[Row], tuple[str, ...], bool]:
    body = draw(
        st.lists(
            rows(fmt),
            min_size=min_size,
            max_size=8,
            unique_by=lambda r: name_key(clean_text(r.cells[0])),
        )
    )
    return body, draw(st.sampled_from(HEADERS)), draw(st.booleans())


def grid(body: Sequence[Row], header: Sequence[str], title: bool) -> list[list[Any]]:
    out: list[list[Any]] = [[TITLE] + [""] * 9] if title else []
    out.append(list(header))
    out.extend([i + 1, *r.cells] for i, r in enumerate(body))
    return out


def record_bytes(cells: Sequence[Any], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerow(["" if c is None else c for c in cells])
    return buf.getvalue().encode("utf-8" if encoding == "utf-8-sig" else encoding)


def file_bytes(table: Sequence[Sequence[Any]], fmt: str) -> bytes:
    if fmt == "xlsx":
        return xlsx_bytes(table)
    bom = b"\xef\xbb\xbf" if fmt == "utf-8-sig" else b""
    return bom + b"".join(record_bytes(r, fmt) for r in table)


def xlsx_bytes(table: Sequence[Sequence[Any]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r, row in enumerate(table, start=1):
        for c, value in enumerate(row, start=1):
            if value in ("", None):
                continue
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    if table and table[0][0] == TITLE:
        ws.merge_cells("A1:J1")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def expected(body: Sequence[Row]) -> list[StationInput]:
    out = []
    for r in body:
        data, errors = validate_values(r.raw(), CAMPAIGN.area_code, CAMPAIGN.max_people_served)
        assert errors == [], (r, errors)  # the generator makes valid stations only
        out.append(data)
    return out


# -- stores -----------------------------------------------------------------------------------


@contextmanager
def fresh() -> Iterator[tuple[Store, Path]]:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "home")
        try:
            yield store, Path(tmp)
        finally:
            store.close()


def inputs(store: Store) -> list[StationInput]:
    return [s.as_input() for s in store.stations.all(include_archived=True)]


def dump(store: Store) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in store.conn.execute("SELECT * FROM stations ORDER BY id")]


BASE = [
    StationInput("基准村退役军人服务站", phone="13800000000", people_served=10),
    StationInput("对照社区服务站", contact="某人"),
]


def seeded(store: Store) -> list[tuple[Any, ...]]:
    store.stations.upsert_many(BASE, [])
    return dump(store)


def refused_unchanged(store: Store, path: Path, before: list[tuple[Any, ...]]) -> Any:
    plan = plan_import(path, store, CAMPAIGN)
    assert not plan.ok, plan.report("en")
    with pytest.raises(Exception, match="problem"):
        apply_import(store, plan)
    assert dump(store) == before
    return plan.problems[0]


# -- properties -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_ledger_round_trips(fmt):
    @PROPERTY
    @given(ledgers(fmt))
    def check(ledger):
        body, header, title = ledger
        want = expected(body)
        suffix = ".xlsx" if fmt == "xlsx" else ".csv"
        with fresh() as (store, tmp):
            path = tmp / f"ledger{suffix}"
            path.write_bytes(file_bytes(grid(body, header, title), fmt))
            plan = plan_import(path, store, CAMPAIGN)
            assert plan.ok, plan.report("en")
            assert plan.header_row == (2 if title else 1)
            if fmt in ("utf-8", "utf-8-sig", "gbk"):
                assert plan.encoding == fmt
            elif fmt == "gb18030":
                assert plan.encoding in ("gbk", "gb18030")
            apply_import(store, plan)
            assert inputs(store) == want
            again = plan_import(path, store, CAMPAIGN)
            assert (len(again.unchanged), again.adds, again.updates) == (len(body), (), ())
            for out in ("csv", "xlsx"):
                exported = tmp / f"export.{out}"
                export_ledger(store, exported)
                with fresh() as (other, _):
                    other_plan = plan_import(exported, other, CAMPAIGN)
                    assert other_plan.ok, other_plan.report("en")
                    apply_import(other, other_plan)
                    assert inputs(other) == want

    check()


@pytest.mark.parametrize("fmt", ("utf-8", "utf-8-sig", "gbk", "gb18030"))
def test_cut_off_csv_is_refused_naming_the_row(fmt):
    @PROPERTY
    @given(ledgers(fmt, min_size=1), st.data())
    def check(ledger, data):
        body, header, title = ledger
        table = grid(body, header, title)
        head = file_bytes(table[:-1], fmt)
        last = record_bytes(table[-1], fmt)
        final = table[-1][-1]
        # The last field as written in the record, without CRLF (csv quotes a lone empty field).
        final_field = record_bytes([final], fmt)[:-2] if final != "" else b""
        last_comma = len(last) - 2 - len(final_field) - 1
        cut = data.draw(st.integers(1, last_comma), label="cut")
        with fresh() as (store, tmp):
            before = seeded(store)
            path = tmp / "cut.csv"
            path.write_bytes(head + last[:cut])
            problem = refused_unchanged(store, path, before)
            assert problem.row == len(table)

    check()


@pytest.mark.parametrize("title", [False, True])
def test_cut_off_xlsx_is_refused(title):
    @PROPERTY
    @given(ledgers("xlsx", min_size=1), st.data())
    def check(ledger, data):
        body, header, _ = ledger
        blob = xlsx_bytes(grid(body, header, title))
        cut = data.draw(st.integers(1, len(blob) - 1), label="cut")
        with fresh() as (store, tmp):
            before = seeded(store)
            path = tmp / "cut.xlsx"
            path.write_bytes(blob[:cut])
            problem = refused_unchanged(store, path, before)
            assert problem.row is None
            assert "damaged or incomplete" in problem.message_en

    check()


@pytest.mark.parametrize("fmt", ("utf-8", "gbk", "gb18030"))
def test_binary_bytes_are_refused_naming_the_row(fmt):
    @PROPERTY
    @given(ledgers(fmt, min_size=1), st.data())
    def check(ledger, data):
        body, header, title = ledger
        table = grid(body, header, title)
        records = [record_bytes(r, fmt) for r in table]
        index = data.draw(st.integers(0, len(records) - 1), label="row")
        at = data.draw(st.integers(0, len(records[index]) - 2), label="offset")  # before CRLF
        junk = data.draw(
            st.binary(min_size=1, max_size=8).map(lambda b: bytes([b[0] % 9]) + b[1:]),
            label="junk",
        )
        record = records[index][:at] + junk + records[index][at:]
        blob = b"".join(records[:index]) + record + b"".join(records[index + 1 :])
        with fresh() as (store, tmp):
            before = seeded(store)
            path = tmp / "binary.csv"
            path.write_bytes(blob)
            problem = refused_unchanged(store, path, before)
            assert problem.row == index + 1

    check()


@PROPERTY
@given(st.binary(min_size=1, max_size=2000), st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes_are_refused(blob, suffix):
    with fresh() as (store, tmp):
        before = seeded(store)
        path = tmp / f"random{suffix}"
        path.write_bytes(blob)
        refused_unchanged(store, path, before)


@pytest.mark.parametrize(
    ("main", "foreign"), [("utf-8", "gbk"), ("gbk", "utf-8"), ("gb18030", "utf-8")]
)
def test_mixed_encodings_are_refused_naming_the_row(main, foreign):
    @PROPERTY
    @given(ledgers("gbk", min_size=1), st.data())
    def check(ledger, data):
        body, header, title = ledger
        table = grid(body, header, title)
        first = 1 if title else 0
        index = data.draw(st.integers(first + 1, len(table) - 1), label="row")
        records = [record_bytes(r, main) for r in table]
        odd = record_bytes(table[index], foreign)
        if main == "utf-8":
            # GBK bytes that happen to be valid UTF-8 cannot be told apart: not this property.
            try:
                odd.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                assume(False)
        else:
            # No row of the legacy file happens to be valid UTF-8 Chinese text by chance.
            for i, rec in enumerate(records):
                if i != index and any(b >= 0x80 for b in rec):
                    try:
                        rec.decode("utf-8")
                    except UnicodeDecodeError:
                        continue
                    assume(False)
        blob = b"".join(records[:index]) + odd + b"".join(records[index + 1 :])
        with fresh() as (store, tmp):
            before = seeded(store)
            path = tmp / "mixed.csv"
            path.write_bytes(blob)
            problem = refused_unchanged(store, path, before)
            assert problem.row == index + 1, problem

    check()
