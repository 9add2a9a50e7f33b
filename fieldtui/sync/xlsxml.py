"""A small, fast XLSX (SpreadsheetML) writer for the two printed forms.

openpyxl builds a Python object per cell and per style and spends ~7 s writing the thousand-sheet
附件1 of a 1,000-station township; the forms need only text and numbers, a handful of fixed styles,
merged ranges, column widths, row heights, frozen panes and A4 print settings. This writer emits
exactly that as plain XML (shared strings, one stylesheet) and zips it. The output is read back
with openpyxl by the tests and opens in Excel, WPS and LibreOffice.

Only the standard library: the file is built in memory and returned as bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot carry at all.
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Style:
    """One cell format: font, border, alignment (the stylesheet is built from these)."""

    font: str = "宋体"
    size: float = 11
    bold: bool = False
    border: bool = False
    horizontal: str = "general"  # general, left, center, right
    vertical: str = "center"  # top, center, bottom
    wrap: bool = False


Cell = str | int | float | None


@dataclass
class Sheet:
    title: str
    widths: Sequence[float] = ()
    rows: dict[int, dict[int, tuple[Cell, int]]] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    freeze_row: int = 0  # rows above this stay on screen (0: none)
    print_title_rows: tuple[int, int] | None = None
    footer: str = "&C第 &P 页，共 &N 页"

    def put(self, row: int, col: int, value: Cell, style: int = 0) -> None:
        self.rows.setdefault(row, {})[col] = (value, style)

    def merge(self, r1: int, c1: int, r2: int, c2: int, style: int = 0) -> None:
        """Merge a range; every cell in it carries ``style`` so borders print all round."""
        for r in range(r1, r2 + 1):
            cells = self.rows.setdefault(r, {})
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    cells[c] = (None, style)
        self.merges.append((r1, c1, r2, c2))

    def height(self, row: int, points: float) -> None:
        self.heights[row] = points

    @property
    def last_row(self) -> int:
        return max(self.rows, default=1)

    @property
    def last_col(self) -> int:
        return max((max(cells) for cells in self.rows.values() if cells), default=1)


def col_letter(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _text(value: str) -> str:
    return escape(_BAD_XML.sub("", value))


def _attr(value: str) -> str:
    return escape(_BAD_XML.sub("", value), {'"': "&quot;"})


class Workbook:
    def __init__(self, title: str = "", created: dt.datetime | None = None) -> None:
        self.title = title
        self.created = created or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        self.sheets: list[Sheet] = []
        self._styles: list[Style] = [Style()]
        self._style_ids: dict[Style, int] = {Style(): 0}
        self._strings: dict[str, int] = {}
        self._string_count = 0

    def style(self, **kw: object) -> int:
        s = Style(**kw)  # type: ignore[arg-type]
        if s not in self._style_ids:
            self._style_ids[s] = len(self._styles)
            self._styles.append(s)
        return self._style_ids[s]

    def add_sheet(self, title: str, widths: Sequence[float] = ()) -> Sheet:
        sheet = Sheet(title=title, widths=widths)
        self.sheets.append(sheet)
        return sheet

    # -- serialisation -----------------------------------------------------------------------

    def _sst(self, value: str) -> int:
        self._string_count += 1
        idx = self._strings.get(value)
        if idx is None:
            idx = self._strings[value] = len(self._strings)
        return idx

    def _sheet_xml(self, sheet: Sheet, selected: bool) -> str:
        parts = [
            _HEAD,
            f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
            f'<dimension ref="A1:{col_letter(sheet.last_col)}{sheet.last_row}"/>',
            "<sheetViews>",
            '<sheetView workbookViewId="0" tabSelected="1">'
            if selected
            else '<sheetView workbookViewId="0">',
        ]
        if sheet.freeze_row:
            top = sheet.freeze_row + 1
            parts.append(
                f'<pane ySplit="{sheet.freeze_row}" topLeftCell="A{top}" activePane="bottomLeft" '
                f'state="frozen"/><selection pane="bottomLeft" activeCell="A{top}" sqref="A{top}"/>'
            )
        parts.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        if sheet.widths:
            parts.append("<cols>")
            for i, w in enumerate(sheet.widths, start=1):
                parts.append(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>')
            parts.append("</cols>")
        parts.append("<sheetData>")
        for r in sorted(sheet.rows):
            ht = sheet.heights.get(r)
            attrs = f' ht="{ht:g}" customHeight="1"' if ht else ""
            parts.append(f'<row r="{r}"{attrs}>')
            cells = sheet.rows[r]
            for c in sorted(cells):
                value, s = cells[c]
                ref = f"{col_letter(c)}{r}"
                if value is None or value == "":
                    parts.append(f'<c r="{ref}" s="{s}"/>')
                elif isinstance(value, str):
                    parts.append(f'<c r="{ref}" s="{s}" t="s"><v>{self._sst(value)}</v></c>')
                else:
                    parts.append(f'<c r="{ref}" s="{s}"><v>{value!r}</v></c>')
            parts.append("</row>")
        for r in sorted(set(sheet.heights) - set(sheet.rows)):
            parts.append(f'<row r="{r}" ht="{sheet.heights[r]:g}" customHeight="1"/>')
        parts.append("</sheetData>")
        if sheet.merges:
            parts.append(f'<mergeCells count="{len(sheet.merges)}">')
            for r1, c1, r2, c2 in sheet.merges:
                parts.append(f'<mergeCell ref="{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"/>')
            parts.append("</mergeCells>")
        parts.append(
            '<printOptions horizontalCentered="1"/>'
            '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" '
            'footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="portrait" fitToWidth="1" fitToHeight="0"/>'
        )
        if sheet.footer:
            parts.append(
                f"<headerFooter><oddFooter>{_text(sheet.footer)}</oddFooter></headerFooter>"
            )
        parts.append("</worksheet>")
        return "".join(parts)

    def _styles_xml(self) -> str:
        fonts: dict[tuple[str, float, bool], int] = {}
        for s in self._styles:
            fonts.setdefault((s.font, s.size, s.bold), len(fonts))
        font_xml = "".join(
            f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/><name val="{_attr(name)}"/>'
            '<family val="3"/><charset val="134"/></font>'
            for (name, size, bold) in fonts
        )
        thin = '<{0} style="thin"><color indexed="64"/></{0}>'
        box = "".join(thin.format(side) for side in ("left", "right", "top", "bottom"))
        xfs = []
        for s in self._styles:
            font_id = fonts[(s.font, s.size, s.bold)]
            align = f'<alignment horizontal="{s.horizontal}" vertical="{s.vertical}"'
            align += ' wrapText="1"/>' if s.wrap else "/>"
            xfs.append(
                f'<xf numFmtId="0" fontId="{font_id}" fillId="0" borderId="{int(s.border)}" '
                'xfId="0" applyFont="1" applyBorder="1" applyAlignment="1">'
                f"{align}</xf>"
            )
        return (
            f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
            f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            f"<border>{box}<diagonal/></border></borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )

    def _workbook_xml(self) -> str:
        sheets = "".join(
            f'<sheet name="{_attr(s.title)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self.sheets, start=1)
        )
        names = []
        for i, s in enumerate(self.sheets):
            quoted = "'" + s.title.replace("'", "''") + "'"
            if s.print_title_rows:
                a, b = s.print_title_rows
                names.append(
                    f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                    f"{_text(quoted)}!${a}:${b}</definedName>"
                )
            names.append(
                f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">{_text(quoted)}'
                f"!$A$1:${col_letter(s.last_col)}${s.last_row}</definedName>"
            )
        return (
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets><definedNames>{''.join(names)}</definedNames>"
            "</workbook>"
        )

    def _sst_xml(self) -> str:
        items = "".join(f'<si><t xml:space="preserve">{_text(s)}</t></si>' for s in self._strings)
        return (
            f'{_HEAD}<sst xmlns="{_MAIN}" count="{self._string_count}" '
            f'uniqueCount="{len(self._strings)}">{items}</sst>'
        )

    def _core_xml(self) -> str:
        stamp = self.created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f"{_HEAD}<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_text(self.title)}</dc:title><dc:creator>fieldtui</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>"
        )

    def to_bytes(self) -> bytes:
        if not self.sheets:
            self.add_sheet("Sheet1")
        sheet_xml = [self._sheet_xml(s, i == 0) for i, s in enumerate(self.sheets)]
        n = len(self.sheets)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        content_types = (
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}"
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        )
        root_rels = (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" '
            'Target="docProps/app.xml"/></Relationships>'
        )
        wb_rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        wb_rels = (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{wb_rels}'
            f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'
        )
        app = (
            f'{_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>fieldtui</Application></Properties>'
        )
        parts: list[tuple[str, str]] = [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", root_rels),
            ("docProps/core.xml", self._core_xml()),
            ("docProps/app.xml", app),
            ("xl/workbook.xml", self._workbook_xml()),
            ("xl/_rels/workbook.xml.rels", wb_rels),
            ("xl/styles.xml", self._styles_xml()),
        ]
        parts += [(f"xl/worksheets/sheet{i}.xml", x) for i, x in enumerate(sheet_xml, start=1)]
        parts.append(("xl/sharedStrings.xml", self._sst_xml()))
        return zip_parts(parts, self.created)


def zip_parts(parts: Iterable[tuple[str, str | bytes]], when: dt.datetime) -> bytes:
    """A zip of ``parts`` with one fixed timestamp, so the same input gives the same bytes."""
    stamp = when.replace(tzinfo=None).timetuple()[:6]
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return buf.getvalue()
