"""Names made from station and township names: safe on every file system, never alike."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from fieldtui.domain.filenames import (
    SHEET_MAX,
    NameAllocator,
    SheetNamer,
    name_key,
    safe_filename,
    safe_stem,
)

RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"} | {
    f"{p}{d}" for p in ("COM", "LPT") for d in "0123456789¹²³"
}
HOSTILE = [
    "../../etc/passwd",
    "..\\..\\Windows\\system32",
    "a/b\\c",
    "..",
    ".",
    "...",
    "",
    "   ",
    "CON",
    "con.txt",
    "Nul",
    "COM1",
    "lpt9.xlsx",
    "COM¹",
    "名字。. . ",
    "trailing dots...",
    "a\x00b",
    "tab\there\nnewline",
    "\u202eevil\u202dgpj.exe",
    '<>:"|?*',
    "青龙村" * 70,
    "x" * 300,
    ".hidden",
]
names = st.one_of(st.text(max_size=300), st.sampled_from(HOSTILE))


def assert_safe(name: str, max_bytes: int) -> None:
    assert name, "empty name"
    assert name not in (".", "..")
    assert ".." not in name
    assert "/" not in name and "\\" not in name
    assert not any(ch in '<>:"|?*' for ch in name)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name)
    assert not name.startswith((".", " "))
    assert not name.endswith((".", " "))
    assert len(name.encode("utf-8")) <= max_bytes
    assert name.split(".")[0].strip().upper() not in RESERVED
    assert unicodedata.normalize("NFC", name) == name


@given(names, st.sampled_from(["", "xlsx", "pdf", ".json", "../x", "EXE "]))
@settings(max_examples=400)
def test_any_text_becomes_a_safe_file_name(text: str, ext: str) -> None:
    assert_safe(safe_filename(text, ext, max_bytes=120), 120)


@given(st.lists(names, max_size=40), st.integers(min_value=24, max_value=200))
@settings(max_examples=200)
def test_an_allocator_never_hands_out_two_alike(texts: list[str], max_bytes: int) -> None:
    alloc = NameAllocator(max_bytes=max_bytes)
    out = [alloc.take(t, "xlsx") for t in texts]
    for name in out:
        assert_safe(name, max_bytes)
        assert name.endswith(".xlsx")
    assert len({name_key(n) for n in out}) == len(out)


def test_case_and_trailing_dots_do_not_make_names_differ() -> None:
    alloc = NameAllocator()
    a = alloc.take("Report", "txt")
    b = alloc.take("REPORT.", "txt")
    c = alloc.take("report ", "txt")
    assert a == "Report.txt"
    assert {b, c} == {"REPORT_2.txt", "report_3.txt"}


def test_hostile_examples() -> None:
    assert safe_stem("../../etc/passwd") == "_._etc_passwd"
    assert safe_stem("CON") == "_CON"
    assert safe_filename("con", "txt") == "_con.txt"
    assert safe_filename("", "pdf") == "file.pdf"
    assert safe_filename("...", "pdf", fallback="扫描件") == "扫描件.pdf"
    long = safe_filename("青龙村" * 70, "xlsx", max_bytes=100)
    assert len(long.encode()) <= 100 and long.endswith(".xlsx") and long.startswith("青龙村")


@given(st.lists(names, max_size=30))
@settings(max_examples=200)
def test_sheet_titles_are_valid_and_unique(texts: list[str]) -> None:
    namer = SheetNamer()
    out = [namer.take(t) for t in texts]
    for title in out:
        assert 1 <= len(title.encode("utf-16-le")) // 2 <= SHEET_MAX
        assert not any(ch in "[]:*?/\\" for ch in title)
        assert not title.startswith("'") and not title.endswith("'")
        assert title.casefold() != "history"
        assert not any(unicodedata.category(ch) == "Cc" for ch in title)
    assert len({t.casefold() for t in out}) == len(out)


def test_long_station_names_keep_31_characters_and_stay_distinct() -> None:
    namer = SheetNamer()
    base = "重庆市丰都县龙河镇某某村退役军人服务站第一站点补充说明文字再长一点"
    assert len(base) > 31
    a = namer.take(base + "甲")
    b = namer.take(base + "乙")
    assert a == base[:31]
    assert b == base[:28] + "(2)"
    assert namer.take("History") == "History(2)"
