"""The ledger rules an import leans on: roles as offices write them, phones a spreadsheet mangled,
counts, invisible characters, column names, cells, and the plan built from a table."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldtui.domain.ledger import (
    HEAD_ROLE_ZH,
    HEAD_ROLES,
    Station,
    StationInput,
    clean_text,
    normalise_phone,
    parse_count,
    validate,
    validate_values,
)
from fieldtui.domain.ledger_table import (
    Table,
    build_plan,
    cell_text,
    csv_guard,
    find_header,
    header_key,
    match_column,
    name_key,
)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("书记", "secretary"),
        ("村支书", "secretary"),
        ("党支部书记", "secretary"),
        ("主任", "director"),
        ("村委会主任", "director"),
        ("居委会主任", "director"),
        ("书记兼主任", "both"),
        ("书记、主任", "both"),
        ("一肩挑", "both"),
        ("书记或主任", "either"),
        ("书记/主任", "either"),
        ("是", "either"),
        ("√", "either"),
        ("否", "other"),
        ("副主任", "other"),
        ("副书记", "other"),
        ("监委会主任", "other"),
        ("其他", "other"),
        ("secretary or director", "either"),
        ("", ""),
    ],
)
def test_roles_as_offices_write_them(text, role):
    data, errors = validate(StationInput("甲村服务站", head_role=text), "023")
    assert errors == []
    assert data.head_role == role


def test_every_role_reads_back_from_its_chinese_label():
    for role in HEAD_ROLES:
        data, errors = validate(StationInput("甲", head_role=HEAD_ROLE_ZH[role]), "023")
        assert (data.head_role, errors) == (role, [])


@pytest.mark.parametrize("post", ["文书", "村委委员", "综治专干", "本村退役军人"])
def test_another_post_in_a_role_column_is_other(post):
    # A 职务 column names whatever post the person holds: not the secretary or the director.
    data, errors = validate(StationInput("甲", head_role=post), "023")
    assert errors == [] and data.head_role == "other"


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("2372345678", "023-72345678"),  # a landline whose 0 a spreadsheet dropped
        ("2872345678", "028-72345678"),
        ("13800000000", "13800000000"),
        ("72345678", "023-72345678"),
        ("1380000000", None),  # a mobile with a digit missing stays wrong
        ("1581234567", None),
        ("12345", None),
    ],
)
def test_phone_repairs(raw, want):
    assert normalise_phone(raw, "023") == want


def test_counts_negative_are_out_of_range_not_text():
    assert parse_count("-1") == -1
    _data, errors = validate_values({"name": "甲", "people_served": "-1"}, "023")
    assert [e.problem for e in errors] == ["-1 超出范围 0..100"]
    _data, errors = validate_values({"name": "甲", "veterans": "-2"}, "023")
    assert errors[0].problem_en == "-2 must not be negative"


def test_invisible_characters_are_dropped():
    assert clean_text("\u200b永丰村\ufeff服务站\u00ad ") == "永丰村服务站"


def test_validate_values_equals_validate():
    raw = {"name": " 甲村 ", "phone": 1.38e10, "people_served": "35人", "veterans": 20.0}
    data, errors = validate_values(raw, "023")
    assert errors == []
    assert data == StationInput("甲村", phone="13800000000", people_served=35, veterans=20)
    assert validate(data, "023") == (data, [])


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("退役军人服务站名称", "name"),
        ("服务站\n名称", "name"),
        ("*服务站名称", "name"),
        ("村(社区)", "village"),
        ("村（社区）", "village"),
        ("【村社区】", "village"),
        ("服务对象数量(人)", "people_served"),
        ("服务对象数量（人）", "people_served"),
        ("服务对象　数量", "people_served"),
        ("ＮＯ．", "seq"),
        ("序号", "seq"),
        ("负责人联系电话", "phone"),
    ],
)
def test_match_column(header, field):
    m = match_column(header)
    assert m is not None and m[0] == field


def test_titles_are_not_columns():
    assert match_column("XX镇服务对象100人以下村（社区）退役军人服务站台账") is None
    assert match_column("2023年度服务站统计表") is None
    assert header_key("服务对象\n数量（人）") == "服务对象数量"


def test_the_contact_phone_beats_the_heads_phone():
    header = find_header([(1, ["服务站名称", "负责人电话", "联系电话"])])
    assert header is not None
    assert [c.field for c in header.columns] == ["name", "", "phone"]


@pytest.mark.parametrize(
    ("value", "fld", "text"),
    [
        (13800000000, "phone", "13800000000"),
        (1.38e10, "phone", "13800000000"),
        (35.0, "people_served", "35"),
        (3.5, "people_served", "3.5"),
        ("'13800000000", "phone", "13800000000"),
        ('="13800000000"', "phone", "13800000000"),
        ("13800000000.0", "phone", "13800000000"),
        (True, "head_role", "是"),
        (None, "name", ""),
        (dt.date(2023, 4, 1), "notes", "2023-04-01"),
        ("'=A1", "name", "=A1"),
        ("'abc", "name", "'abc"),
    ],
)
def test_cell_text(value, fld, text):
    assert cell_text(value, fld) == text


def test_csv_guard_round_trips_through_cell_text():
    for text in ("=SUM(A1)", "+86", "-3 待整改", "@张", "普通"):
        assert cell_text(csv_guard(text), "name") == text


def test_name_key_ignores_width_case_and_spaces():
    assert name_key("金竹村（一组） 服务站") == name_key("金竹村(一组)服务站")
    assert name_key("ABC站") == name_key("ａｂｃ站")


def test_build_plan_is_pure_and_reports_by_row():
    existing = [Station(1, "甲村服务站", phone="13800000000")]
    table = Table(
        "mem.csv",
        "csv",
        [
            (1, ["某镇服务站台账"]),
            (2, ["服务站名称", "联系电话", "服务对象数量"]),
            (3, ["甲村服务站", "13900000000", ""]),
            (4, ["乙村服务站", "", "101"]),
            (5, ["合计", "", "101"]),
        ],
    )
    plan = build_plan(table, existing, "023", 100)
    assert plan.header_row == 2
    assert [(p.row, p.column, p.field) for p in plan.problems] == [
        (4, "服务对象数量", "people_served")
    ]
    assert [s.row for s in plan.skipped] == [5]
    fixed = Table(table.source, "csv", [*table.rows[:3], (4, ["乙村服务站", "", "100"])])
    plan = build_plan(fixed, existing, "023", 100)
    assert plan.ok
    assert [(c.field, c.old, c.new) for c in plan.updates[0].changes] == [
        ("phone", "13800000000", "13900000000")
    ]
    assert [r.data.people_served for r in plan.adds] == [100]


def test_a_title_that_is_a_column_name_does_not_hide_the_header():
    rows = [
        (1, ["退役军人服务站"] * 4),  # a merged title that happens to read like a column
        (2, ["序号", "服务站名称", "联系人", "联系电话"]),
        (3, ["1", "甲村服务站", "王五", "13800000000"]),
    ]
    header = find_header(rows)
    assert header is not None
    assert header.row == 2
    assert [c.field for c in header.columns] == ["", "name", "contact", "phone"]


def test_yes_does_not_blur_a_precise_role():
    existing = [Station(1, "甲村服务站", head_role="both"), Station(2, "乙村服务站", head_role="")]
    table = Table(
        "mem.csv",
        "csv",
        [
            (1, ["服务站名称", "是否书记或主任"]),
            (2, ["甲村服务站", "是"]),
            (3, ["乙村服务站", "是"]),
        ],
    )
    plan = build_plan(table, existing, "023")
    assert [r.data.name for r in plan.unchanged] == ["甲村服务站"]
    assert [(c.old, c.new) for c in plan.updates[0].changes] == [("", "either")]
