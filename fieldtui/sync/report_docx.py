"""The acceptance report (验收报告) as a DOCX draft the officer finishes, signs and stamps.

Figures and findings come from :func:`fieldtui.domain.report.report_data` on the sealed batch.
python-docx is imported here only, and this module only when an export runs.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from fieldtui.domain.report import ReportData, points
from fieldtui.domain.rubric import Campaign
from fieldtui.i18n import percent

BODY_FONT = "仿宋"
TITLE_FONT = "宋体"
HEAD_FONT = "黑体"
TABLE_STYLE = "表格文字"


def _font(run: Any, name: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _para(doc: Any, text: str, *, size: float = 14, font: str = BODY_FONT, bold: bool = False,
          align: str = "left", indent: bool = True) -> Any:  # fmt: skip
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.alignment = {
        "left": WD_ALIGN_PARAGRAPH.JUSTIFY,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    if indent and align == "left":
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.space_after = Pt(4)
    _font(p.add_run(text), font, size, bold)
    return p


def _heading(doc: Any, text: str) -> None:
    _para(doc, text, size=14, font=HEAD_FONT, indent=True)


def _table(doc: Any, header: Sequence[str], rows: Sequence[Sequence[str]],
           widths_cm: Sequence[float]) -> Any:  # fmt: skip
    """A bordered table in the "表格文字" paragraph style (fonts set once, not run by run)."""
    from docx.shared import Cm

    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    widths = [Cm(w) for w in widths_cm]
    # The style id set on the XML directly: python-docx's by-name lookup costs ~1 ms a cell.
    style_id = doc.styles[TABLE_STYLE].style_id
    for i, w in enumerate(widths):
        table.columns[i].width = w
    for r, row_ in enumerate(table.rows):
        texts = header if r == 0 else rows[r - 1]
        for i, (cell, text) in enumerate(zip(row_.cells, texts, strict=True)):
            cell.width = widths[i]
            p = cell.paragraphs[0]
            p._p.style = style_id
            run = p.add_run(text)
            if r == 0:
                run.bold = True
    doc.add_paragraph()
    return table


def _styles(doc: Any) -> None:
    """Body text 仿宋 (East Asian font set on the style), and a smaller style for tables."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    table = doc.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table.base_style = normal
    table.font.size = Pt(10.5)
    table.paragraph_format.space_after = Pt(0)


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def acceptance_report(data: ReportData, campaign: Campaign) -> bytes:
    """The report draft as DOCX bytes."""
    from docx import Document
    from docx.shared import Mm

    doc = Document()
    _styles(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(30)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    props = doc.core_properties
    props.author = data.officer or "fieldtui"
    props.title = f"{data.unit}{data.period}验收报告"
    sealed = dt.datetime.fromisoformat(data.sealed_at)
    props.created = props.modified = sealed.astimezone(dt.UTC).replace(tzinfo=None)

    year = data.last[:4]
    _para(
        doc,
        f"{data.unit}关于{year}年{data.period_name}村（社区）退役军人服务站规范建设运行验收情况的报告",
        size=20, font=TITLE_FONT, bold=True, align="center", indent=False,
    )  # fmt: skip
    _para(doc, "（草稿）", size=14, align="center", indent=False)
    _para(doc, f"{campaign.recipient}：", indent=False)
    _para(
        doc,
        f"根据{campaign.issuer}《{campaign.title}》（{campaign.doc_number}）要求，{data.unit}对照验收"
        f"评分表，对辖区内服务对象100人以下村（社区）退役军人服务站{data.first}至{data.last}的规范"
        "建设运行情况进行了验收。现将有关情况报告如下。",
    )

    _heading(doc, "一、总体情况")
    state = "已完成" if data.met else "未完成"
    _para(
        doc,
        f"截至{data.last}，台账内服务站{data.stations}个，已验收{data.assessed}个，达标"
        f"{data.passed}个，达标率{percent(data.rate)}。本季度目标达标率{percent(data.target)}"
        f"（需达标{data.needed}个），{state}季度目标。本季度共开展验收{data.visits_in_period}次，"
        "明细见附件2验收情况统计表，各站评分见附件1验收评分表。",
    )

    _heading(doc, "二、未达标服务站及原因")
    if not data.failed:
        _para(doc, "已验收的服务站全部达标。")
    else:
        _para(doc, f"已验收但未达标的服务站{len(data.failed)}个，主要失分情况如下：")
        rows = []
        for i, f in enumerate(data.failed, start=1):
            reasons = [f"一票否决：{'；'.join(f.veto)}"] if f.vetoed else []
            for lost in f.lost[:3]:
                text = f"第{lost.number}项（失{points(lost.lost)}分）{_short(lost.text)}"
                if lost.note:
                    text += f"——{lost.note}"
                reasons.append(text)
            rows.append([str(i), f.name, points(f.total), "\n".join(reasons) or "—"])
        _table(doc, ("序号", "服务站", "得分", "主要失分项及说明"), rows, (1.2, 4.0, 1.4, 9.4))

    _heading(doc, "三、扣分较多的项目")
    if not data.deductions:
        _para(doc, "已验收的服务站没有扣分项目。")
    else:
        _para(doc, f"{data.unit}已验收的服务站中扣分最多的项目如下，请在下一步工作中重点整改：")
        rows = [
            [str(i), str(d.number), d.text, str(d.stations), points(d.points)]
            for i, d in enumerate(data.deductions, start=1)
        ]
        _table(doc, ("序号", "项目", "创建标准", "扣分站数", "合计失分"), rows,
               (1.2, 1.2, 9.4, 2.1, 2.1))  # fmt: skip

    _heading(doc, "四、未按计划推进的服务站")
    if not data.behind:
        _para(doc, "计划在本期及以前达标的服务站均已达标。")
    else:
        _para(doc, f"按分月推进计划应于{data.last}前达标、但尚未达标的服务站{len(data.behind)}个：")
        rows = [
            [str(i), b.name, b.planned_month, "未验收" if b.total is None else points(b.total)]
            for i, b in enumerate(data.behind, start=1)
        ]
        _table(doc, ("序号", "服务站", "计划达标月份", "当前得分"), rows, (1.2, 7.0, 3.4, 3.4))

    _heading(doc, "五、下一步工作")
    _para(doc, "（请填写下一步整改和推进工作的打算。）")

    doc.add_paragraph()
    _para(doc, f"{data.unit}（盖章）", align="right", indent=False)
    d = data.sealed_date
    _para(doc, f"{d.year}年{d.month}月{d.day}日", align="right", indent=False)
    _para(
        doc,
        f"封存批次：{data.batch_id}（封存时间 {data.sealed_at}）",
        size=9, align="left", indent=False,
    )  # fmt: skip
    buf = io.BytesIO()
    doc.save(buf)
    # python-docx stamps each zip entry with the current time: the same batch written twice (the
    # export, then the e-mail a minute later) must give the same bytes, so restamp with the seal.
    import zipfile

    from fieldtui.sync.xlsxml import zip_parts

    with zipfile.ZipFile(buf) as zf:
        parts = [(info.filename, zf.read(info)) for info in zf.infolist()]
    return zip_parts(parts, sealed)
