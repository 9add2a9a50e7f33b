"""Ledger files in and out: reading real-looking township files, refusing broken ones without
touching the database, planning re-imports, exporting atomically and reading the export back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fieldtui.domain.ledger import StationInput
from fieldtui.domain.ledger_table import EXPORT_HEADER
from fieldtui.store.ledger_io import (
    ExportError,
    LedgerRefusal,
    StalePlan,
    apply_import,
    decode_csv,
    export_ledger,
    ledger_bytes,
    plan_import,
)
from tests.store.ledger_files import csv_bytes, dump, write_xlsx

TITLE = "XX镇服务对象100人以下村（社区）退役军人服务站台账"
HEADER = [
    "序号",
    "退役军人服务站名称",
    "村（社区）",
    "负责人",
    "负责人职务",
    "联系人",
    "联系电话",
    "服务对象\n数量（人）",
    "退役军人数量",
    "备注",
]
ROWS = [
    [1, "永丰村退役军人服务站", "永丰村", "王国明", "书记", "李华", "138 0000 0001", 35, 20, ""],
    [
        2,
        "长乐村退役军人服务站",
        "长乐村",
        "张建军",
        "书记兼主任",
        "张建军",
        "023-7234 5678",
        60,
        41,
        "新建",
    ],
    [
        3,
        "太平社区退役军人服务站",
        "太平社区",
        "刘平",
        "主任",
        "陈芳",
        "+86 139-0000-0002",
        100,
        50,
        "",
    ],
]
EXPECTED = {
    "永丰村退役军人服务站": StationInput(
        "永丰村退役军人服务站", "永丰村", "王国明", "secretary", "李华", "13800000001", 35, 20, ""
    ),
    "长乐村退役军人服务站": StationInput(
        "长乐村退役军人服务站", "长乐村", "张建军", "both", "张建军", "023-72345678", 60, 41, "新建"
    ),
    "太平社区退役军人服务站": StationInput(
        "太平社区退役军人服务站", "太平社区", "刘平", "director", "陈芳", "13900000002", 100, 50, ""
    ),
}


def ledger(store):
    return {s.name: s.as_input() for s in store.stations.all(include_archived=True)}


def imported(store, campaign, path):
    plan = plan_import(path, store, campaign)
    assert plan.ok, plan.report("en")
    apply_import(store, plan)
    return plan


# -- reading the four CSV encodings and XLSX, below a title row ----------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_with_a_title_row(store, campaign, write_csv, encoding):
    rows = [
        [TITLE] + [""] * 9,
        ["填报单位（盖章）：XX镇", "", "", "", "", "", "2023年4月"],
        HEADER,
        *ROWS,
    ]
    if encoding == "gb18030":
        # A name only GB18030 can hold (U+2A6A5, CJK extension B), so GBK must fail first.
        rows = [*rows, [4, "𪚥村退役军人服务站", "𪚥村", "", "", "", "", "", "", ""]]
    path = write_csv(rows, encoding)
    plan = imported(store, campaign, path)
    assert plan.kind == "csv"
    assert plan.encoding == encoding
    assert plan.header_row == 3
    got = ledger(store)
    for name, want in EXPECTED.items():
        assert got[name] == want
    if encoding == "gb18030":
        assert got["𪚥村退役军人服务站"].village == "𪚥村"
    assert plan.ignored_columns == ("序号",)


def test_xlsx_with_merged_title_numbers_and_merged_cells(store, campaign, tmp_path):
    rows = [
        [TITLE, None, None, None, None, None, None, None, None, None],
        HEADER,
        # A phone stored as a number, a count stored as 35.0, stray spaces.
        [
            1,
            " 永丰村退役军人服务站 ",
            "永丰村",
            "王国明",
            "书记",
            "李华",
            13800000001,
            35.0,
            20,
            None,
        ],
        # A phone that became a float 1.39e10, the village merged down from the row above.
        [
            2,
            "永丰村二组退役军人服务站",
            None,
            "张建军",
            "主任",
            "张建军",
            1.3900000002e10,
            "40",
            30.0,
            None,
        ],
        # A phone kept as text with a leading apostrophe, a landline that lost its 0.
        [
            3,
            "太平社区退役军人服务站",
            "太平社区",
            "刘平",
            "是",
            "陈芳",
            "'13900000003",
            100,
            None,
            " 备 注 ",
        ],
        [4, "龙泉村退役军人服务站", "龙泉村", "赵勇", "否", "赵勇", 2372345678, 12, 5, None],
        [None] * 10,
        ["合计", None, None, None, None, None, None, 187, 55, None],
        ["填表人：王明", None, None, None, None, "审核人：李强", None, None, None, None],
    ]
    path = write_xlsx(tmp_path / "台账.xlsx", rows, merges=["A1:J1", "C3:C4"])
    plan = imported(store, campaign, path)
    assert (plan.kind, plan.sheet, plan.header_row) == ("xlsx", "Sheet1", 2)
    assert [(s.row, s.reason) for s in plan.skipped] == [(8, "total"), (9, "footer")]
    got = ledger(store)
    assert got["永丰村退役军人服务站"] == StationInput(
        "永丰村退役军人服务站", "永丰村", "王国明", "secretary", "李华", "13800000001", 35, 20, ""
    )
    assert got["永丰村二组退役军人服务站"].village == "永丰村"
    assert got["永丰村二组退役军人服务站"].phone == "13900000002"
    assert got["永丰村二组退役军人服务站"].people_served == 40
    assert got["太平社区退役军人服务站"].phone == "13900000003"
    assert got["太平社区退役军人服务站"].head_role == "either"
    assert got["太平社区退役军人服务站"].notes == "备 注"
    assert got["龙泉村退役军人服务站"].phone == "023-72345678"
    assert got["龙泉村退役军人服务站"].head_role == "other"
    assert len(got) == 4


def test_xlsx_two_header_rows_and_the_ledger_on_a_later_sheet(store, campaign, tmp_path):
    rows = [
        ["某某镇退役军人服务站台账（2023年）"] + [None] * 7,
        ["序号", "站点名称", "服务站负责人", None, "联系人", None, "服务对象人数", "其它信息"],
        [None, None, "姓名", "职务", "姓名", "电话", None, None],
        [1, "金竹村服务站", "冉德秀", "村支书", "冉德秀", "152 1234 5678", 18, "山区"],
    ]
    path = write_xlsx(
        tmp_path / "ledger.xlsx",
        rows,
        merges=["A1:H1", "A2:A3", "B2:B3", "C2:D2", "E2:F2", "G2:G3", "H2:H3"],
        sheet="台账",
        extra_sheets=[("说明", [["本表由镇退役军人服务站填写"]])],
    )
    plan = imported(store, campaign, path)
    assert plan.sheet == "台账"
    assert plan.header_row == 2
    assert {c.field: c.header for c in plan.used_columns} == {
        "name": "站点名称",
        "head": "服务站负责人姓名",
        "head_role": "服务站负责人职务",
        "contact": "联系人姓名",
        "phone": "联系人电话",
        "people_served": "服务对象人数",
    }
    assert "其它信息" in plan.ignored_columns
    st = ledger(store)["金竹村服务站"]
    assert (st.head, st.head_role, st.contact, st.phone, st.people_served) == (
        "冉德秀",
        "secretary",
        "冉德秀",
        "15212345678",
        18,
    )


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("服务站名称", "name"),
        ("站点名称", "name"),
        ("服务站", "name"),
        ("村（社区）服务站名称", "name"),
        ("退役军人服务站名称（全称）", "name"),
        ("所属村（社区）", "village"),
        ("村社区名称", "village"),
        ("站长", "head"),
        ("负责人姓名", "head"),
        ("是否书记或主任", "head_role"),
        ("职务", "head_role"),
        ("手机号码", "phone"),
        ("联系方式", "phone"),
        ("电 话", "phone"),
        ("服务对象数量（人）", "people_served"),
        ("服务对象人数\n（人）", "people_served"),
        ("退役军人人数", "veterans"),
        ("其中：退役军人", "veterans"),
        ("备注", "notes"),
    ],
)
def test_header_variants(store, campaign, write_csv, header, field):
    other = "联系人" if field != "contact" else "备注"
    name_col = "服务站名称" if field != "name" else header
    cols = [name_col, other] if field == "name" else [name_col, header, other]
    value = {
        "name": "白云村服务站",
        "village": "白云村",
        "head": "王五",
        "head_role": "是",
        "phone": "13800000009",
        "people_served": "25",
        "veterans": "10",
        "notes": "好",
    }[field]
    row = ["白云村服务站", "赵六"] if field == "name" else ["白云村服务站", value, "赵六"]
    plan = imported(store, campaign, write_csv([cols, row]))
    assert {c.field for c in plan.used_columns} >= {"name", field, "contact"}
    st = ledger(store)["白云村服务站"]
    assert st.contact == "赵六"
    assert getattr(st, field) not in ("", None)


def test_unknown_columns_and_blank_rows_are_ignored_not_errors(store, campaign, write_csv):
    rows = [
        ["序号", "服务站名称", "所属片区", "联系电话", ""],
        ["1", "白云村服务站", "北片", "13800000009", ""],
        ["2", "", "", "", ""],  # a pre-numbered empty row
        ["", "", "", "", ""],
        ["3", "红星村服务站", "南片", "", "x"],
    ]
    plan = imported(store, campaign, write_csv(rows))
    assert plan.ignored_columns == ("序号", "所属片区")
    assert set(ledger(store)) == {"白云村服务站", "红星村服务站"}


def test_a_column_number_row_and_a_repeated_header_are_skipped(store, campaign, write_csv):
    rows = [
        ["服务站名称", "负责人", "联系电话"],
        ["1", "2", "3"],
        ["白云村服务站", "王五", "13800000009"],
        ["服务站名称", "负责人", "联系电话"],
        ["红星村服务站", "李四", ""],
    ]
    plan = imported(store, campaign, write_csv(rows))
    assert [(s.row, s.reason) for s in plan.skipped] == [
        (2, "column_numbers"),
        (4, "header_repeat"),
    ]
    assert set(ledger(store)) == {"白云村服务站", "红星村服务站"}


def test_tab_separated_text(store, campaign, tmp_path):
    path = tmp_path / "ledger.txt"
    path.write_bytes("服务站名称\t联系电话\r\n白云村服务站\t13800000009\r\n".encode("gbk"))
    imported(store, campaign, path)
    assert ledger(store)["白云村服务站"].phone == "13800000009"


# -- broken files: each refused, the database unchanged -------------------------------------------


def seed(store, campaign, write_csv):
    """A ledger already in the database, so a half-written import would show."""
    imported(store, campaign, write_csv([HEADER, *ROWS], name="seed.csv"))
    return dump(store)


GOOD = [9, "新华村退役军人服务站", "新华村", "周伟", "书记", "周伟", "13800000099", 30, 10, ""]
CHANGED = [1, "永丰村退役军人服务站", "永丰村", "王国明", "书记", "李华", "13800000077", 35, 20, ""]


@pytest.mark.parametrize(
    ("bad", "row", "column", "words"),
    [
        ([5, "", "x村", "", "", "", "", "", "", ""], 4, "退役军人服务站名称", "不能为空"),
        (
            [5, "永丰村退役军人服务站", "", "", "", "", "", "", "", ""],
            4,
            "退役军人服务站名称",
            "重复",
        ),
        (
            [5, "永丰村退役军人服务站 ", "", "", "", "", "", "", "", ""],
            4,
            "退役军人服务站名称",
            "重复",
        ),
        ([5, "甲村服务站", "", "", "", "", "12345", "", "", ""], 4, "联系电话", "固定电话"),
        ([5, "甲村服务站", "", "", "", "", "1380000000", "", "", ""], 4, "联系电话", "固定电话"),
        ([5, "甲村服务站", "", "", "", "", "1.38E+10", "", "", ""], 4, "联系电话", "科学计数法"),
        ([5, "甲村服务站", "", "", "", "", "", "101", "", ""], 4, "服务对象数量（人）", "0..100"),
        ([5, "甲村服务站", "", "", "", "", "", "-1", "", ""], 4, "服务对象数量（人）", "0..100"),
        ([5, "甲村服务站", "", "", "", "", "", "3.5", "", ""], 4, "服务对象数量（人）", "不是整数"),
        ([5, "甲村服务站", "", "", "", "", "", "abc", "", ""], 4, "服务对象数量（人）", "不是整数"),
        (
            [5, "甲村服务站", "", "", "", "", "13800000001/023-72345678", "", "", ""],
            4,
            "联系电话",
            "2个号码",
        ),
        ([5, "甲村服务站", "", "", "", "", "", "10", "11", ""], 4, "退役军人数量", "不能大于"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(store, campaign, write_csv, bad, row, column, words):
    before = dump(store)
    path = write_csv([HEADER, GOOD, CHANGED, bad])
    plan = plan_import(path, store, campaign)
    assert not plan.ok
    assert [(p.row, p.column) for p in plan.problems] == [(row, column)]
    assert words in plan.problems[0].message_zh
    assert plan.problems[0].message_en
    with pytest.raises(LedgerRefusal):
        apply_import(store, plan)
    assert dump(store) == before


@pytest.mark.parametrize("seeded", [False, True])
def test_every_problem_is_reported_by_row_and_column(store, campaign, write_csv, seeded):
    if seeded:
        seed(store, campaign, write_csv)
    before = dump(store)
    rows = [
        [TITLE],
        HEADER,
        GOOD,
        [5, "", "", "", "", "", "12", "200", "", ""],
        [6, "新华村退役军人服务站", "", "", "", "", "", "abc", "-3", ""],
    ]
    plan = plan_import(write_csv(rows), store, campaign)
    got = [(p.row, p.column) for p in plan.problems]
    assert got == [
        (4, "退役军人服务站名称"),
        (4, "联系电话"),
        (4, "服务对象数量（人）"),
        (5, "退役军人服务站名称"),
        (5, "服务对象数量（人）"),
        (5, "退役军人数量"),
    ]
    text = plan.report("zh")
    assert any("第4行「联系电话」" in line for line in text)
    assert any("row 5, column 退役军人服务站名称" in line for line in plan.report("en"))
    assert dump(store) == before


def test_header_missing(store, campaign, write_csv):
    before = seed(store, campaign, write_csv)
    plan = plan_import(write_csv([["姓名", "电话"], ["王五", "13800000009"]]), store, campaign)
    assert not plan.ok
    assert plan.problems[0].row is None
    assert "找不到表头" in plan.problems[0].message_zh
    assert "姓名" in plan.problems[0].message_zh
    assert dump(store) == before


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("台账.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, ".xlsx"),
        ("台账.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, ".xls"),
        ("台账.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "WPS"),
        ("台账.et", "服务站名称\r\n白云村\r\n".encode("gbk"), ".xlsx"),
        ("台账.ods", b"PK\x03\x04" + b"\0" * 40, "损坏"),
        ("台账.xlsx", "服务站名称,联系电话\r\n".encode(), "不是 Excel 工作簿"),
        ("台账.pdf", b"%PDF-1.7\n...", "PDF"),
        ("台账.csv", b"%PDF-1.7\n...", "PDF"),
        ("台账.csv", b"\xff\xfe" + "服务站名称".encode("utf-16-le"), "UTF-16"),
        ("台账.csv", b"", "空文件"),
        ("台账.docx", b"plain text", ".xlsx"),
    ],
)
def test_files_that_are_not_a_readable_ledger(
    store, campaign, write_csv, tmp_path, name, content, words
):
    before = seed(store, campaign, write_csv)
    path = tmp_path / name
    path.write_bytes(content)
    plan = plan_import(path, store, campaign)
    assert not plan.ok
    assert words in plan.problems[0].message_zh
    assert plan.problems[0].message_en
    with pytest.raises(LedgerRefusal):
        apply_import(store, plan)
    assert dump(store) == before


def test_truncated_xlsx(store, campaign, write_csv, tmp_path):
    before = seed(store, campaign, write_csv)
    full = write_xlsx(tmp_path / "full.xlsx", [HEADER, GOOD, CHANGED])
    blob = full.read_bytes()
    for cut in (len(blob) // 3, len(blob) - 30, len(blob) - 1):
        path = tmp_path / f"cut{cut}.xlsx"
        path.write_bytes(blob[:cut])
        plan = plan_import(path, store, campaign)
        assert not plan.ok
        assert "损坏或不完整" in plan.problems[0].message_zh
    assert dump(store) == before


def test_damaged_xlsx_inside_the_zip(store, campaign, write_csv, tmp_path):
    """A well-formed zip whose worksheet XML is broken."""
    import zipfile

    before = seed(store, campaign, write_csv)
    full = write_xlsx(tmp_path / "full.xlsx", [HEADER, GOOD])
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(full) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    plan = plan_import(broken, store, campaign)
    assert not plan.ok
    assert "损坏" in plan.problems[0].message_zh
    assert dump(store) == before


def test_binary_file_named_csv(store, campaign, write_csv, tmp_path):
    before = seed(store, campaign, write_csv)
    path = tmp_path / "台账.csv"
    path.write_bytes(csv_bytes([HEADER, GOOD]) + b"\x00\x01\x02\xff\xfe" * 20)
    plan = plan_import(path, store, campaign)
    assert not plan.ok
    assert plan.problems[0].row == 3
    assert "二进制" in plan.problems[0].message_zh
    assert dump(store) == before


def test_gbk_row_inside_a_utf8_file(store, campaign, write_csv, tmp_path):
    before = seed(store, campaign, write_csv)
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        csv_bytes([[TITLE], HEADER, GOOD], "utf-8")
        + csv_bytes([CHANGED], "gbk")
        + csv_bytes([[10, "红星村退役军人服务站"]], "utf-8")
    )
    plan = plan_import(path, store, campaign)
    assert not plan.ok
    assert plan.problems[0].row == 4
    assert "第4行" in plan.problems[0].text("zh")
    assert "GBK" in plan.problems[0].message_zh
    assert dump(store) == before


def test_utf8_row_inside_a_gbk_file(store, campaign, write_csv, tmp_path):
    before = seed(store, campaign, write_csv)
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        csv_bytes([HEADER, GOOD], "gbk")
        + csv_bytes([CHANGED], "utf-8")
        + csv_bytes([[1, "白云村"]], "gbk")
    )
    plan = plan_import(path, store, campaign)
    assert not plan.ok
    assert plan.problems[0].row == 3
    assert dump(store) == before


@pytest.mark.parametrize(
    ("tail", "row"),
    [
        ('9,"新华村退役军人服务站', 3),  # cut inside a quoted field
        ("9,新华村退役军人服务站,新华村", 3),  # cut mid-record, no line end
    ],
)
def test_cut_off_csv(store, campaign, write_csv, tmp_path, tail, row):
    before = seed(store, campaign, write_csv)
    path = tmp_path / "cut.csv"
    path.write_bytes(csv_bytes([HEADER, CHANGED]) + tail.encode())
    plan = plan_import(path, store, campaign)
    assert not plan.ok
    assert plan.problems[0].row == row
    assert dump(store) == before


def test_cut_inside_a_character(store, campaign, write_csv, tmp_path):
    before = seed(store, campaign, write_csv)
    for enc in ("utf-8", "gbk"):
        data = csv_bytes([HEADER, CHANGED, GOOD], enc)[:-5]
        while data[-1] < 0x80:
            data = data[:-1]
        path = tmp_path / f"cut-{enc}.csv"
        path.write_bytes(data)
        plan = plan_import(path, store, campaign)
        assert not plan.ok, enc
        assert plan.problems[0].row == 3, (enc, plan.problems)
    assert dump(store) == before


def test_unknown_encoding_names_the_row_and_byte():
    data = "服务站名称\r\n白云村\r\n".encode() + b"\x80\x80\r\n"
    # Valid UTF-8 Chinese lines with one invalid line: refused as a UTF-8 file with a bad row.
    with pytest.raises(LedgerRefusal) as info:
        decode_csv(data)
    assert info.value.problem.row == 3
    assert "第3行" in info.value.message_zh
    assert "byte 28" in info.value.message_en
    # Latin bytes that fit nothing at all.
    with pytest.raises(LedgerRefusal) as info:
        decode_csv(b"name\r\nab\x80\r\n")
    assert info.value.problem.row == 2
    assert "row 2" in info.value.message_en


# -- re-import: adds, updates with field diffs, unchanged, archived --------------------------------


def test_reimport_shows_adds_updates_and_unchanged_before_writing(store, campaign, write_csv):
    seed(store, campaign, write_csv)
    before = dump(store)
    rows = [
        HEADER,
        ROWS[0],  # unchanged
        [
            2,
            "长乐村退役军人服务站",
            "长乐村",
            "张建军",
            "书记兼主任",
            "王小红",
            "13800000077",
            60,
            41,
            "",
        ],
        GOOD,
    ]
    plan = plan_import(write_csv(rows), store, campaign)
    assert plan.ok
    assert [r.data.name for r in plan.adds] == ["新华村退役军人服务站"]
    assert [r.data.name for r in plan.unchanged] == ["永丰村退役军人服务站"]
    (upd,) = plan.updates
    assert {(c.field, c.old, c.new) for c in upd.changes} == {
        ("contact", "张建军", "王小红"),
        ("phone", "023-72345678", "13800000077"),
        ("notes", "新建", ""),
    }
    assert plan.not_in_file == 1
    report = "\n".join(plan.report("zh"))
    assert "将新增1个" in report and "将更新1个" in report and "不变：1个" in report
    assert "联系人：张建军 → 王小红" in report
    assert "备注：新建 → （空）" in report
    assert dump(store) == before  # planning writes nothing
    assert apply_import(store, plan) == (1, 1)
    assert ledger(store)["长乐村退役军人服务站"].contact == "王小红"


def test_columns_the_file_lacks_keep_their_values(store, campaign, write_csv):
    seed(store, campaign, write_csv)
    plan = plan_import(
        write_csv([["服务站名称", "联系电话"], ["长乐村退役军人服务站", "13800000077"]]),
        store,
        campaign,
    )
    (upd,) = plan.updates
    assert [c.field for c in upd.changes] == ["phone"]
    apply_import(store, plan)
    st = ledger(store)["长乐村退役军人服务站"]
    assert (st.notes, st.people_served, st.head) == ("新建", 60, "张建军")


def test_matching_ignores_width_and_spaces(store, campaign, write_csv):
    imported(store, campaign, write_csv([["服务站名称", "联系人"], ["金竹村（一组）服务站", "甲"]]))
    plan = plan_import(
        write_csv([["服务站名称", "联系人"], ["金竹村 (一组) 服务站", "乙"]]), store, campaign
    )
    (upd,) = plan.updates
    assert {c.field for c in upd.changes} == {"name", "contact"}


def test_archived_station_is_listed_not_imported(store, campaign, write_csv):
    seed(store, campaign, write_csv)
    sid = store.stations.by_name("太平社区退役军人服务站").id
    store.stations.archive(sid, dt.date(2023, 6, 1))
    before = dump(store)
    changed = [
        3,
        "太平社区退役军人服务站",
        "太平社区",
        "刘平",
        "主任",
        "陈芳",
        "13900000055",
        100,
        50,
        "",
    ]
    plan = plan_import(write_csv([HEADER, changed, GOOD]), store, campaign)
    assert plan.ok
    assert [(r.data.name, r.archived) for r in plan.archived] == [
        ("太平社区退役军人服务站", dt.date(2023, 6, 1))
    ]
    assert any("已归档" in line for line in plan.report("zh"))
    apply_import(store, plan)
    assert store.stations.get(sid).phone == "13900000002"
    assert store.stations.get(sid).archived == dt.date(2023, 6, 1)
    assert len(dump(store)) == len(before) + 1


def test_a_plan_for_a_ledger_that_changed_is_refused(store, campaign, write_csv):
    seed(store, campaign, write_csv)
    plan = plan_import(write_csv([HEADER, GOOD]), store, campaign)
    sid = store.stations.by_name("永丰村退役军人服务站").id
    st = store.stations.get(sid)
    store.stations.update(sid, dataclasses.replace(st.as_input(), contact="某人"))
    before = dump(store)
    with pytest.raises(StalePlan):
        apply_import(store, plan)
    assert dump(store) == before


def test_a_failing_write_leaves_nothing(store, campaign, write_csv):
    """upsert_many is one transaction: a station that cannot be written undoes the others."""
    seed(store, campaign, write_csv)
    plan = plan_import(write_csv([HEADER, GOOD, CHANGED]), store, campaign)
    before = dump(store)
    # Another writer takes the new name between the plan and the write.
    store.conn.execute(
        "INSERT INTO stations (name, created, updated) VALUES ('新华村退役军人服务站', 'x', 'x')"
    )
    store.conn.execute("DELETE FROM stations WHERE name='新华村退役军人服务站'")
    bad = dataclasses.replace(plan, adds=(*plan.adds, dataclasses.replace(plan.adds[0], row=99)))
    with pytest.raises(Exception, match="already in the ledger"):
        apply_import(store, bad)
    assert dump(store) == before


# -- export -----------------------------------------------------------------------------------


def test_export_csv_is_utf8_with_bom_and_reads_back(store, campaign, write_csv, tmp_path):
    seed(store, campaign, write_csv)
    out = tmp_path / "out" / "台账.csv"
    assert export_ledger(store, out) == 3
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0] == ",".join(EXPORT_HEADER)
    assert lines[1].startswith("1,永丰村退役军人服务站,永丰村,王国明,书记,")
    with open_fresh(tmp_path / "h2") as other:
        imported(other, campaign, out)
        assert ledger(other) == ledger(store)


def test_export_xlsx_reads_back_and_keeps_phones_as_text(store, campaign, write_csv, tmp_path):
    import openpyxl

    seed(store, campaign, write_csv)
    out = tmp_path / "台账.xlsx"
    export_ledger(store, out)
    ws = openpyxl.load_workbook(out).active
    assert [c.value for c in ws[1]] == list(EXPORT_HEADER)
    assert ws["G2"].value == "13800000001" and ws["G2"].data_type == "s"
    assert ws["H2"].value == 35
    with open_fresh(tmp_path / "h2") as other:
        imported(other, campaign, out)
        assert ledger(other) == ledger(store)


def test_export_guards_formula_like_text(store, campaign, tmp_path):
    store.stations.add(StationInput('=HYPERLINK("x")站', notes="-3 待整改", contact="@张"))
    csv_path, xlsx_path = tmp_path / "a.csv", tmp_path / "a.xlsx"
    export_ledger(store, csv_path)
    export_ledger(store, xlsx_path)
    text = csv_path.read_bytes().decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",'-3 待整改" in text and ",'@张," in text
    import openpyxl

    ws = openpyxl.load_workbook(xlsx_path).active
    assert ws["B2"].data_type == "s"
    for path in (csv_path, xlsx_path):
        with open_fresh(tmp_path / f"h-{path.suffix}") as other:
            imported(other, campaign, path)
            assert ledger(other) == ledger(store)


def test_export_held_open_keeps_the_old_file(store, campaign, write_csv, tmp_path, monkeypatch):
    """On Windows WPS/Excel lock an open file and os.replace fails with PermissionError; that
    lock cannot happen on this system, so os.replace is made to fail the same way."""
    seed(store, campaign, write_csv)
    out = tmp_path / "台账.xlsx"
    out.write_bytes(b"old contents")

    def locked(src, dst):
        raise PermissionError(13, "The process cannot access the file", str(dst))

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(ExportError) as info:
        export_ledger(store, out)
    assert str(out) in info.value.message_zh and "WPS" in info.value.message_zh
    assert str(out) in info.value.message_en
    assert out.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "seed.csv", "台账.xlsx"]


def test_export_refuses_other_formats(store, tmp_path):
    with pytest.raises(ExportError):
        export_ledger(store, tmp_path / "台账.xls")


def test_ledger_bytes_is_deterministic_csv(store, campaign, write_csv):
    seed(store, campaign, write_csv)
    stations = store.stations.all()
    assert ledger_bytes(stations, "csv") == ledger_bytes(stations, "csv")


# -- cost and imports ---------------------------------------------------------------------------


def thousand_rows():
    rows = [[TITLE], HEADER]
    for i in range(1000):
        rows.append(
            [
                i + 1,
                f"第{i}号村退役军人服务站",
                f"第{i}号村",
                "王国明",
                "书记",
                "李华",
                f"138{i:08d}",
                i % 101,
                0,
                "",
            ]
        )
    return rows


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_thousand_rows_plan_quickly(store, campaign, write_csv, tmp_path, kind, capsys):
    rows = thousand_rows()
    path = write_csv(rows) if kind == "csv" else write_xlsx(tmp_path / "big.xlsx", rows)
    t0 = time.perf_counter()
    plan = plan_import(path, store, campaign)
    planned = time.perf_counter() - t0
    assert plan.ok and len(plan.adds) == 1000
    t0 = time.perf_counter()
    assert apply_import(store, plan) == (1000, 0)
    written = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = plan_import(path, store, campaign)
    replanned = time.perf_counter() - t0
    assert len(again.unchanged) == 1000
    with capsys.disabled():
        print(
            f"\n[{kind}] 1000 rows: plan {planned:.3f}s, write {written:.3f}s, re-plan {replanned:.3f}s"
        )
    # Generous bounds for a slow laptop; measured figures are in the report.
    assert planned < 5 and replanned < 5 and written < 15


def test_ledger_io_does_not_import_openpyxl_until_needed():
    code = (
        "import sys, fieldtui.store.ledger_io, fieldtui.cli.ledger;print('openpyxl' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


class open_fresh:
    """A store in a new home, closed afterwards."""

    def __init__(self, home: Path) -> None:
        from fieldtui.store.store import open_store

        self.store = open_store(home)

    def __enter__(self):
        return self.store

    def __exit__(self, *exc):
        self.store.close()


# -- ledgers as townships really keep them (an audit on files we had not seen) ---------------------


def test_group_headings_and_what_is_under_the_sign_off_are_not_stations(store, campaign, tmp_path):
    rows = [
        ["序号", "服务站名称", "负责人", "联系电话", "服务人数"],
        ["一、第一片区"] * 5,  # merged across the row: the reader fills every cell
        [1, "永丰村服务站", "张三", "13812345678", 45],
        [None, "（二）", None, None, None],
        [2, "龙河服务站", "李四", "13812345679", 30],
        ["合计", None, None, None, 75],
        ["制表：王五", None, "审核人：赵六", None, None],
        [None, "审核人：赵六", None, None, None],
        ["以上数据截至2023年3月31日", None, None, None, None],
    ]
    path = write_xlsx(tmp_path / "台账.xlsx", rows, merges=["A2:E2", "A9:E9"])
    plan = imported(store, campaign, path)
    assert set(ledger(store)) == {"永丰村服务站", "龙河服务站"}
    assert ledger(store)["永丰村服务站"].people_served == 45  # 服务人数 is the people served
    reasons = {s.row: s.reason for s in plan.skipped}
    assert reasons == {2: "group", 4: "group", 6: "total", 7: "footer", 8: "footer", 9: "footer"}


def test_a_station_under_the_sign_off_is_a_problem_not_dropped(store, campaign, tmp_path):
    rows = [
        ["序号", "服务站名称", "负责人", "联系电话"],
        [1, "永丰村服务站", "张三", "13812345678"],
        ["填表人：王五", None, None, None],
        [2, "龙河服务站", "李四", "13812345679"],
    ]
    before = dump(store)
    plan = plan_import(write_xlsx(tmp_path / "台账.xlsx", rows), store, campaign)
    assert [(p.row, "表尾第3行" in p.message_zh) for p in plan.problems] == [(4, True)]
    assert dump(store) == before


def test_none_marks_in_phone_and_count_columns_are_empty(store, campaign, write_csv):
    path = write_csv([
        ["服务站名称", "联系电话", "服务对象数量", "退役军人数量"],
        ["甲村服务站", "/", "无", "—"],
        ["乙村服务站", "暂无", "-", "12"],
    ])  # fmt: skip
    imported(store, campaign, path)
    got = ledger(store)
    assert (got["甲村服务站"].phone, got["甲村服务站"].people_served) == ("", None)
    assert (got["乙村服务站"].phone, got["乙村服务站"].veterans) == ("", 12)


def test_a_ledger_keyed_by_village_names_each_station_by_its_village(store, campaign, write_csv):
    path = write_csv([["序号", "村（社区）名称", "负责人", "联系电话"],
                      [1, "永丰村", "张三", "13812345678"]])  # fmt: skip
    plan = imported(store, campaign, path)
    st = ledger(store)["永丰村"]
    assert (st.village, st.head) == ("永丰村", "张三")
    assert any("村（社区）名称" in zh for zh, _en in plan.notes)


def test_another_sheet_with_stations_is_named_and_can_be_chosen(store, campaign, tmp_path):
    import openpyxl

    header = ["序号", "服务站名称", "负责人"]
    path = write_xlsx(tmp_path / "台账.xlsx", [header, [1, "永丰村服务站", "张三"]], sheet="第一批")
    wb = openpyxl.load_workbook(path)
    second = wb.create_sheet("第二批")
    for row in ([*header], [1, "龙河服务站", "李四"]):
        second.append(row)
    wb.save(path)
    plan = plan_import(path, store, campaign)
    assert plan.sheet == "第一批" and [r.data.name for r in plan.adds] == ["永丰村服务站"]
    assert any("「第二批」" in zh and "--sheet" in en for zh, en in plan.notes)
    assert any("第二批" in line for line in plan.report("zh"))
    plan = plan_import(path, store, campaign, sheet="第二批")
    assert [r.data.name for r in plan.adds] == ["龙河服务站"]
    plan = plan_import(path, store, campaign, sheet="第三批")
    assert not plan.ok and "「第一批」" in plan.problems[0].message_zh


def test_formula_cells_without_a_saved_value_are_named_not_read_as_empty(store, campaign, tmp_path):
    """openpyxl (like any program) writes formulas without their results; WPS/Excel save both."""
    import re
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["序号", "服务站名称", "联系电话"])
    ws.append([1, '="永丰村"&"服务站"', "13812345678"])  # openpyxl writes it as a formula
    path = tmp_path / "生成.xlsx"
    wb.save(path)
    before = dump(store)
    plan = plan_import(path, store, campaign)
    assert [(p.row, p.column) for p in plan.problems] == [(2, "服务站名称")]
    assert "公式" in plan.problems[0].message_zh and "formula" in plan.problems[0].message_en
    assert dump(store) == before

    # The same file as a spreadsheet saves it: the formula with its value. It imports.
    saved = tmp_path / "已保存.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(saved, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(r'<c r="B2"([^>]*)><f>(.*?)</f>(<v\s*/>|<v></v>)?</c>',
                              r'<c r="B2" t="str"><f>\2</f><v>永丰村服务站</v></c>', text)  # fmt: skip
                assert "永丰村服务站</v>" in text
                data = text.encode()
            dst.writestr(info, data)
    imported(store, campaign, saved)
    assert "永丰村服务站" in ledger(store)
