"""Ledger files in and out: CSV (UTF-8, UTF-8 with BOM, GBK, GB18030) and XLSX.

``plan_import(path, store, campaign)`` reads a file and returns an
:class:`~fieldtui.domain.ledger_table.ImportPlan` without writing anything: what would be added
and updated (field by field), what is unchanged, and every problem by row and column. The CLI and
the TUI's import dialog show it; ``apply_import(store, plan)`` then writes it in one transaction,
only if it has no problems and the ledger has not changed since the plan was made.

``export_ledger(store, path)`` writes the active stations as CSV (UTF-8 with BOM, which Excel and
WPS open right) or XLSX, atomically, with a header row the importer reads back.

A file is judged by its content as well as its name: an ``.xlsx`` that is really an old OLE
``.xls``, a CSV that is really binary, a truncated workbook are refused with a message that says
what to do. openpyxl is imported only here, inside the functions that need it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldtui.domain.errors import Refusal
from fieldtui.domain.ledger_table import (
    Cell,
    Column,
    ImportPlan,
    Problem,
    Table,
    build_plan,
    csv_guard,
    export_rows,
    find_header,
    is_sign_off,
    ledger_fingerprint,
    refused,
)

if TYPE_CHECKING:
    from fieldtui.domain.rubric import Campaign
    from fieldtui.store.store import Store

__all__ = [
    "ImportPlan",
    "LedgerFileError",
    "apply_import",
    "export_ledger",
    "plan_import",
    "read_table",
]

MAX_FILE_BYTES = 50 * 1024 * 1024
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# After this many empty rows in a row, a worksheet has no more data (formatted-but-empty
# rows can run to a million).
BLANK_RUN_LIMIT = 2000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BINARY_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"SQLite format 3", "SQLite"),
    (b"{\\rtf", "RTF"),
)

_SAVE_AS_ZH = "请在 WPS 或 Excel 中打开它，“另存为” Excel 工作簿（.xlsx）后再导入"
_SAVE_AS_EN = "open it in WPS or Excel and save it as an Excel workbook (.xlsx), then import that"


class LedgerRefusal(Refusal):
    """A refused ledger import or export, said in Chinese and in English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.message_zh = zh
        self.message_en = en

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


class LedgerFileError(LedgerRefusal):
    """A ledger file that cannot be read at all. ``problem`` says why, and where if it can."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.text("zh"), problem.text("en"))
        self.problem = problem


class StalePlan(LedgerRefusal):
    """The ledger changed between the plan and its application."""


class ExportError(LedgerRefusal):
    """An export that did not happen; any old file is unchanged."""


def _refuse(zh: str, en: str, row: int | None = None) -> LedgerFileError:
    return LedgerFileError(Problem(row, "", zh, en))


# -- reading ----------------------------------------------------------------------------------------


def read_table(path: Path, sheet: str | None = None) -> Table:
    """Read a ledger file into numbered rows of cells, or raise :class:`LedgerFileError`.
    ``sheet`` names the worksheet of a workbook (default: the first visible one with a
    station header)."""
    name = path.name
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise _refuse(f"{name} 是文件夹，不是文件", f"{name} is a folder, not a file")
        if size > MAX_FILE_BYTES:
            raise _refuse(
                f"{name} 太大（{size // 1048576} MB），不像是服务站台账",
                f"{name} is too large ({size // 1048576} MB) to be a ledger",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise _refuse(f"找不到文件 {path}", f"no such file: {path}") from None
    except PermissionError:
        raise _refuse(
            f"无法读取 {path}：没有权限，或文件正被其他程序独占打开",
            f"cannot read {path}: permission denied, or another program holds it open",
        ) from None
    except OSError as exc:
        raise _refuse(
            f"无法读取 {path}：{exc.strerror}", f"cannot read {path}: {exc.strerror}"
        ) from None
    suffix = path.suffix.lower()
    if not data:
        raise _refuse(f"{name} 是空文件", f"{name} is empty")
    if data.startswith(OLE_MAGIC):
        raise _refuse(
            f"{name} 是 Excel 97-2003（.xls）或 WPS（.et）格式的文件（或是加了密码的工作簿），"
            f"无法直接导入：{_SAVE_AS_ZH}（如有密码请先取消）",
            f"{name} is an Excel 97-2003 (.xls) or WPS (.et) file, or a password-protected "
            f"workbook, which cannot be imported: {_SAVE_AS_EN} (remove any password first)",
        )
    if data.startswith(ZIP_MAGICS) or (
        suffix in XLSX_SUFFIXES and b"PK\x03\x04".startswith(data[:4])
    ):
        return _read_zip(path, data, sheet)  # a workbook, or the first bytes of one
    if suffix in (".xls", ".et", ".ett", ".xlt", ".ods", ".numbers", ".wps", ".xlsb"):
        raise _refuse(
            f"不支持 {suffix} 文件：{_SAVE_AS_ZH}，或另存为 CSV（UTF-8）",
            f"{suffix} files are not supported: {_SAVE_AS_EN}, or as CSV (UTF-8)",
        )
    for magic, kind in _BINARY_MAGICS:
        if data.startswith(magic):
            raise _refuse(
                f"{name} 是 {kind} 文件，不是表格：请导入 .xlsx 或 .csv 台账",
                f"{name} is a {kind} file, not a spreadsheet: import the ledger as .xlsx or .csv",
            )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse(
            f"{name} 是 UTF-16 编码的文本（Excel 的“Unicode 文本”）：{_SAVE_AS_ZH}，或另存为“CSV UTF-8”",
            f"{name} is UTF-16 text (Excel's 'Unicode text'): {_SAVE_AS_EN}, or as 'CSV UTF-8'",
        )
    if suffix in XLSX_SUFFIXES:
        raise _refuse(
            f"{name} 的扩展名是 {suffix}，但内容不是 Excel 工作簿（可能是改了扩展名的文本文件，"
            f"或文件已损坏）：{_SAVE_AS_ZH}",
            f"{name} is named {suffix} but is not an Excel workbook (a renamed text file, or a "
            f"damaged file): {_SAVE_AS_EN}",
        )
    if suffix not in TEXT_SUFFIXES:
        raise _refuse(
            f"不支持 {suffix or '无扩展名的'} 文件：请导入 .xlsx 或 .csv 台账（{_SAVE_AS_ZH}）",
            f"{suffix or 'extensionless'} files are not supported: import the ledger as .xlsx "
            f"or .csv ({_SAVE_AS_EN})",
        )
    if sheet is not None:
        raise _refuse(f"{name} 是 CSV 文件，没有工作表：去掉 --sheet",
                      f"{name} is a CSV file and has no worksheets: leave out --sheet")  # fmt: skip
    return _read_csv(path, data)


# -- CSV -------------------------------------------------------------------------------------------


def _row_at(data: bytes, offset: int) -> int:
    """The spreadsheet row (CSV record, 1-based) that holds byte ``offset``.

    Latin-1 maps bytes to characters one to one, and no byte of a multi-byte UTF-8, GBK or
    GB18030 character is a quote, comma or line break, so the records counted are the real ones.
    """
    prefix = data[:offset].decode("latin-1") + "x"
    reader = csv.reader(io.StringIO(prefix, newline=""))
    count = 0
    try:
        for _ in reader:
            count += 1
    except csv.Error:
        count += 1
    return max(count, 1)


def _binary_offset(data: bytes) -> int | None:
    m = re.search(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]", data)
    return m.start() if m else None


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PLAUSIBLE = re.compile(
    r"[\x00-\x7f\u00b7\u2000-\u206f\u2100-\u214f\u2460-\u24ff\u3000-\u303f\u3400-\u4dbf"
    r"\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]*"
)


def _classify_lines(data: bytes) -> tuple[list[int], list[int]]:
    """Byte offsets of the non-ASCII lines that are plausible UTF-8 Chinese text (two or more
    ideographs, nothing exotic) and of those that are not UTF-8 at all, in file order. Text in
    GBK is almost never plausible UTF-8 by chance, so a file with lines of both kinds mixes
    encodings."""
    good: list[int] = []
    bad: list[int] = []
    offset = 0
    for line in data.split(b"\n"):
        if any(b >= 0x80 for b in line):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(offset)
            else:
                if len(_CJK.findall(text)) >= 2 and _PLAUSIBLE.fullmatch(text):
                    good.append(offset)
        offset += len(line) + 1
    return good, bad


_RESAVE_ZH = "请在 WPS/Excel 中把整个文件另存为“CSV UTF-8”或 .xlsx"
_RESAVE_EN = "save the whole file again as 'CSV UTF-8' or .xlsx in WPS/Excel"


def decode_csv(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, trying UTF-8, UTF-8 with BOM, GBK and GB18030 in that order, strictly.

    Returns (text, encoding). A file in none of them, one that mixes UTF-8 with GBK rows, or a
    UTF-8 file cut inside a character is refused naming the row and the first bad byte.
    """
    data = data.rstrip(b"\x1a")  # an old DOS end-of-file mark
    bad = _binary_offset(data)
    if bad is not None:
        raise _refuse(
            f"第{bad}字节起有二进制数据：这不是文本/CSV 文件，或文件已损坏",
            f"binary data from byte {bad}: not a text/CSV file, or a damaged one",
            _row_at(data, bad),
        )
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _not_utf8(data, exc.start + 3, "UTF-8 BOM") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        good, not_utf8 = _classify_lines(data)
        # The file is in the encoding its first Chinese line (the title or the header, what the
        # office's software wrote) is in; lines in the other one were pasted in.
        if good and (not not_utf8 or good[0] < not_utf8[0]):
            raise _not_utf8(data, exc.start, "UTF-8") from None
        if good:
            raise _refuse(
                f"文件混用了编码：大部分行是 GBK/GB18030，这一行却是 UTF-8。{_RESAVE_ZH}",
                f"mixed encodings: most rows are GBK/GB18030 but this one is UTF-8; {_RESAVE_EN}",
                _row_at(data, good[0]),
            ) from None
    for encoding in ("gbk", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    try:
        data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _refuse(
            f"无法识别文件编码（不是 UTF-8、GBK 或 GB18030）：第{exc.start}字节起无法解码。{_RESAVE_ZH}",
            f"unknown encoding (not UTF-8, GBK or GB18030): cannot decode from byte "
            f"{exc.start}; {_RESAVE_EN}",
            _row_at(data, exc.start),
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _not_utf8(data: bytes, offset: int, label: str) -> LedgerFileError:
    return _refuse(
        f"文件是 {label} 编码，但这一行（第{offset}字节起）不是：可能混入了 GBK 编码的行，"
        f"或文件被截断。{_RESAVE_ZH}",
        f"the file is {label} but this row (from byte {offset}) is not: a row in another "
        f"encoding (GBK?) or a cut-off file; {_RESAVE_EN}",
        _row_at(data, offset),
    )


def parse_csv(text: str, delimiter: str = ",") -> list[tuple[int, list[Cell]]]:
    """CSV text into numbered records. A quoted field left open at the end of the file (a cut-off
    file) is refused naming its row."""
    rows: list[tuple[int, list[Cell]]] = []
    number = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for record in reader:
            number += 1
            rows.append((number, list(record)))
    except csv.Error as exc:
        row = number + 1
        if "unexpected end of data" in str(exc):
            raise _refuse(
                "这一行的引号没有闭合，文件可能不完整（被截断）",
                "this row opens a quote that never closes: the file may be cut off",
                row,
            ) from None
        if "field larger than field limit" in str(exc):
            raise _refuse(
                "这一行的单元格过长，不像是台账",
                "a cell on this row is far too long for a ledger",
                row,
            ) from None
        # Stray text after a closing quote: read the file the lenient way Excel does.
        rows = [
            (i, list(r))
            for i, r in enumerate(
                csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
            )
        ]
    return rows


def _read_csv(path: Path, data: bytes) -> Table:
    text, encoding = decode_csv(data)
    tables = []
    for delimiter in (",", "\t", ";"):
        rows = parse_csv(text, delimiter)
        table = Table(str(path), "csv", rows, encoding=encoding)
        header = find_header(rows)
        if header is not None:
            _check_cut_off(text, rows, header.columns)
            return table
        tables.append(table)
    return tables[0]


def _check_cut_off(
    text: str, rows: Sequence[tuple[int, Sequence[Cell]]], columns: Sequence[Column]
) -> None:
    """A CSV whose last record has no line end and fewer fields than the header needs was cut
    off: Excel and WPS end every record, the last one too, with a line break, and write every
    field. (A file cut inside the last field of a record, or exactly at a line end, cannot be
    told from a complete one.) A sign-off line under the table may be short."""
    if not rows or text.endswith(("\n", "\r")):
        return
    row, cells = rows[-1]
    needed = max((c.index for c in columns if c.field), default=0) + 1
    first = next((str(c) for c in cells if str(c).strip()), "")
    if len(cells) < needed and not is_sign_off(first):
        raise _refuse(
            f"这一行不完整（只有{len(cells)}列，表头有{needed}列，且没有换行结尾）：文件可能被截断",
            f"this row is incomplete ({len(cells)} of {needed} columns, and no line end): "
            f"the file looks cut off",
            row,
        )


# -- XLSX -----------------------------------------------------------------------------------------


def _read_zip(path: Path, data: bytes, sheet: str | None = None) -> Table:
    name = path.name
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise _refuse(
            f"{name} 已损坏或不完整（可能没有下载/复制完）：请重新保存或重新获取该文件",
            f"{name} is damaged or incomplete (not fully downloaded or copied?): save or fetch "
            f"it again",
        ) from None
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        kind = "OpenDocument" if "content.xml" in names else "ZIP"
        if "word/document.xml" in names:
            kind = "Word"
        raise _refuse(
            f"{name} 是 {kind} 文件，不是 Excel 工作簿：{_SAVE_AS_ZH}",
            f"{name} is a {kind} file, not an Excel workbook: {_SAVE_AS_EN}",
        )
    if "xl/workbook.bin" in names:
        raise _refuse(
            f"{name} 是 Excel 二进制工作簿（.xlsb）：{_SAVE_AS_ZH}",
            f"{name} is a binary Excel workbook (.xlsb): {_SAVE_AS_EN}",
        )
    try:
        return _read_xlsx(path, data, sheet)
    except LedgerFileError:
        raise
    except Exception as exc:  # any parse failure in an untrusted workbook is a refusal
        raise _refuse(
            f"{name} 无法读取，工作簿已损坏或不完整（{type(exc).__name__}）：请在 WPS/Excel 中打开并重新保存",
            f"{name} cannot be read, the workbook is damaged or incomplete "
            f"({type(exc).__name__}): open it in WPS/Excel and save it again",
        ) from None


def _read_xlsx(path: Path, data: bytes, sheet: str | None = None) -> Table:
    """The named worksheet, or the first visible one with a station header (hidden ones only
    when no visible one has it); the table names the other worksheets that have one too."""
    import openpyxl  # heavy: only when an XLSX file is read

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if sheet is not None:
            ws = next((w for w in wb.worksheets if str(w.title).strip() == sheet.strip()), None)
            if ws is None:
                titles = "、".join(f"「{w.title}」" for w in wb.worksheets)
                raise _refuse(f"{path.name} 没有工作表「{sheet}」：它有 {titles}",
                              f"{path.name} has no worksheet {sheet!r}: it has {titles}")  # fmt: skip
            return _sheet_table(path, ws)
        visible = [w for w in wb.worksheets if getattr(w, "sheet_state", "visible") == "visible"]
        hidden = [w for w in wb.worksheets if w not in visible]
        first: Table | None = None
        found: Table | None = None
        others: list[str] = []
        for ws in visible + hidden:
            if found is not None and ws not in visible:
                break
            table = _sheet_table(path, ws)
            has_header = find_header(table.rows) is not None
            if has_header and found is None:
                found = table
            elif has_header:
                others.append(table.sheet)
            if first is None:
                first = table
        if found is not None:
            return replace(found, other_sheets=tuple(others))
        return first or Table(str(path), "xlsx", [], sheet="")
    finally:
        wb.close()


def _sheet_table(path: Path, ws: Any) -> Table:
    """A read-only worksheet as a table: every row with its row number, merged cells filled
    in, and the formula cells the file holds no value for."""
    rows = _sheet_rows(ws)
    ranges, unsaved = _sheet_xml(ws)
    _fill_merged(ranges, rows)
    return Table(str(path), "xlsx", rows, sheet=str(ws.title), unsaved_formulas=unsaved)


def _sheet_rows(ws: Any) -> list[tuple[int, list[Cell]]]:
    """Every row of a read-only worksheet with its row number."""
    ws.reset_dimensions()  # some writers record a wrong size; read what is there
    rows: list[tuple[int, list[Cell]]] = []
    blank_run = 0
    for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
        values = list(cells)
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        if not values:
            blank_run += 1
            if blank_run > BLANK_RUN_LIMIT:
                break
        else:
            blank_run = 0
        rows.append((number, values))
    while rows and not rows[-1][1]:
        rows.pop()
    return rows


_REF = re.compile(r"([A-Z]+)(\d+)")


def _cell_ref(ref: str) -> tuple[int, int]:
    m = _REF.fullmatch(ref.replace("$", ""))
    if not m:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


Range = tuple[int, int, int, int]


def _sheet_xml(ws: Any) -> tuple[list[Range], frozenset[tuple[int, int]]]:
    """What openpyxl's read-only worksheets do not expose, read from the sheet's XML: the
    merged ranges (first row, first col, last row, last col), and the cells (row, col) that
    hold a formula but no saved value (a file a program wrote and no spreadsheet ever
    calculated: openpyxl reads those cells as empty)."""
    import xml.etree.ElementTree as ET

    archive = getattr(getattr(ws, "parent", None), "_archive", None)
    sheet_path = getattr(ws, "_worksheet_path", None)
    if archive is None or sheet_path is None:
        return [], frozenset()
    ranges: list[Range] = []
    unsaved: set[tuple[int, int]] = set()
    with archive.open(sheet_path) as src:
        for _event, elem in ET.iterparse(src):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "mergeCell":
                ref = elem.get("ref", "")
                if ":" in ref:
                    (r1, c1), (r2, c2) = (_cell_ref(p) for p in ref.split(":", 1))
                    ranges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
            elif tag == "c":
                kids = {k.tag.rsplit("}", 1)[-1]: k for k in elem}
                if "f" in kids and not (kids.get("v") is not None and kids["v"].text):
                    with contextlib.suppress(ValueError):
                        unsaved.add(_cell_ref(elem.get("r", "")))
                elem.clear()
            elif tag == "row":
                elem.clear()
    return ranges, frozenset(unsaved)


def _fill_merged(ranges: list[Range], rows: list[tuple[int, list[Cell]]]) -> None:
    """Give every cell of a merged range the value of its top-left cell, as a reader sees it."""
    if not ranges or not rows:
        return
    index = {number: values for number, values in rows}
    last_row = rows[-1][0]
    for r1, c1, r2, c2 in ranges:
        top = index.get(r1)
        if top is None or len(top) < c1:
            continue
        value = top[c1 - 1]
        if value is None:
            continue
        width = min(c2, c1 + 200)
        for r in range(r1, min(r2, last_row) + 1):
            cells = index.get(r)
            if cells is None:
                continue
            if len(cells) < width:
                cells.extend([None] * (width - len(cells)))
            for c in range(c1, width + 1):
                if cells[c - 1] is None:
                    cells[c - 1] = value


# -- plan and apply ------------------------------------------------------------------------------


def plan_import(
    path: Path, store: Store, campaign: Campaign, sheet: str | None = None
) -> ImportPlan:
    """Read ``path`` (its worksheet ``sheet``, if named) and compare it with the ledger. Writes
    nothing; never raises for a bad file (the plan carries the problem). Safe to call from a
    worker thread."""
    existing = store.stations.all(include_archived=True)
    try:
        table = read_table(Path(path), sheet)
    except LedgerFileError as exc:
        return refused(str(path), exc.problem, fingerprint=ledger_fingerprint(existing))
    return build_plan(table, existing, campaign.area_code, campaign.max_people_served)


def apply_import(store: Store, plan: ImportPlan) -> tuple[int, int]:
    """Write a problem-free plan: its adds and updates in one transaction (all or none).
    Returns (added, updated). Refuses a plan with problems, or one made against a ledger that
    has changed since (make a new plan)."""
    if not plan.ok:
        raise LedgerRefusal(
            f"{plan.source} 有{len(plan.problems)}个问题，未写入任何数据",
            f"{len(plan.problems)} problem(s) in {plan.source}; nothing was written",
        )
    current = ledger_fingerprint(store.stations.all(include_archived=True))
    if current != plan.fingerprint:
        raise StalePlan(
            "预览之后台账已被修改，未写入任何数据：请重新预览该文件",
            "the ledger changed after this import was previewed; nothing was written, "
            "preview the file again",
        )
    if not plan.has_changes:
        return 0, 0
    return store.stations.upsert_many(
        [r.data for r in plan.adds],
        [(r.station_id, r.data) for r in plan.updates if r.station_id is not None],
    )


# -- export ----------------------------------------------------------------------------------------


def ledger_bytes(stations: Sequence[Any], fmt: str) -> bytes:
    """The export file's bytes: ``fmt`` is "csv" (UTF-8 with BOM, CRLF) or "xlsx"."""
    rows = export_rows(stations)
    if fmt == "csv":
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        for row in rows:
            writer.writerow(["" if v is None else csv_guard(str(v)) for v in row])
        return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")
    if fmt == "xlsx":
        return _xlsx_bytes(rows)
    raise ValueError(fmt)


def _xlsx_bytes(rows: list[list[str | int | None]]) -> bytes:
    import openpyxl  # heavy: only on export
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    widths = (6, 30, 16, 10, 12, 10, 16, 12, 12, 30)
    for i, w in enumerate(widths):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width = w
    ws.freeze_panes = "C2"
    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    header, *body = rows
    out_header = []
    for v in header:
        cell = WriteOnlyCell(ws, value=v)
        cell.font = bold
        cell.alignment = centre
        out_header.append(cell)
    ws.append(out_header)
    phone_col = header.index("联系电话")
    for row in body:
        out = []
        for i, v in enumerate(row):
            cell = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                # Text stays text: never a formula (a name starting with "="), and the phone
                # column is formatted as text so Excel does not show 1.38E+10.
                cell.data_type = "s"
            if i == phone_col:
                cell.number_format = "@"
            out.append(cell)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_ledger(store: Store, path: Path) -> int:
    """Write the active stations to ``path`` (.csv or .xlsx) atomically. Returns the count.

    If the file cannot be replaced (WPS/Excel holds it open on Windows), the old file is kept
    and the refusal names it.
    """
    from fieldtui.settings import atomic_write

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise ExportError(
            f"只能导出为 .csv 或 .xlsx：{path.name}",
            f"export to a .csv or .xlsx file, not {path.name}",
        )
    stations = store.stations.all()
    blob = ledger_bytes(stations, fmt)
    try:
        atomic_write(path, blob)
    except PermissionError:
        if path.exists():
            raise ExportError(
                f"无法替换 {path}：文件可能正被 WPS 或 Excel 打开。请关闭后重试；原文件未改动",
                f"cannot replace {path}: it may be open in WPS or Excel. Close it and try again; "
                f"the old file is unchanged",
            ) from None
        raise ExportError(
            f"无法在 {path.parent} 中创建文件：没有写入权限",
            f"cannot create a file in {path.parent}: permission denied",
        ) from None
    except IsADirectoryError:
        raise ExportError(f"{path} 是文件夹", f"{path} is a folder") from None
    except OSError as exc:
        raise ExportError(
            f"无法写入 {path}：{exc.strerror or exc}；原文件未改动",
            f"cannot write {path}: {exc.strerror or exc}; any old file is unchanged",
        ) from None
    return len(stations)
