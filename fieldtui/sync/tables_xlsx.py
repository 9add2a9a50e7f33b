"""The two forms of the notice as XLSX, ready to print on A4 and stamp by hand.

- 附件2 验收情况统计表: title, 填报单位（加盖公章） with the unit, the date, and one row per visit made in
  the period (序号 / 退役军人服务站名称 / 得分 / 联系人 / 联系电话 / 备注 with 达标 or 未达标).
- 附件1 验收评分表, filled in: one sheet per assessed station with every category and item, its
  maximum and score, the bonus items, the veto, the total, the signature line and the note.

Both are built from the sealed batch payload only, with the small writer in :mod:`xlsxml`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from fieldtui.domain.batch import visit_sheet
from fieldtui.domain.filenames import SheetNamer
from fieldtui.domain.report import (
    FAIL_ZH,
    PASS_ZH,
    StatRow,
    points,
    report_date,
    statistics_rows,
)
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import compute, counted_bonus
from fieldtui.sync.xlsxml import Sheet, Workbook

FONT_BODY = "宋体"
FONT_HEAD = "黑体"
STATS_TITLE = "服务对象100人以下村（社区）退役军人服务站规范建设运行验收情况统计表"
SHEET_TITLE = "服务对象100人以下村（社区）退役军人服务站规范建设运行验收评分表"
STATS_HEADER = ("序号", "退役军人服务站名称", "得分", "联系人", "联系电话", "备注")
SCORE_HEADER = ("项目", "序号", "创建标准", "分值", "得分")
SIGN_LINE = (
    "服务站负责人：" + "\u3000" * 8 + "经办人：" + "\u3000" * 8 + "联系电话：" + "\u3000" * 6
)
STATS_WIDTHS = (7, 40, 9, 12, 17, 16)
SCORE_WIDTHS = (11, 6, 62, 6, 8)
LINE_HEIGHT = 15


class _Styles:
    def __init__(self, wb: Workbook) -> None:
        self.tag = wb.style(font=FONT_HEAD, size=12, horizontal="left")
        self.title = wb.style(size=16, bold=True, horizontal="center", wrap=True)
        self.line = wb.style(horizontal="left", wrap=True)
        self.line_right = wb.style(horizontal="right")
        self.head = wb.style(bold=True, border=True, horizontal="center", wrap=True)
        self.center = wb.style(border=True, horizontal="center", wrap=True)
        self.text = wb.style(border=True, horizontal="left", wrap=True)
        self.small = wb.style(size=10, horizontal="left", vertical="top", wrap=True)


@functools.lru_cache(maxsize=4096)
def lines(text: str, width_chars: float) -> int:
    """Rough count of printed lines of ``text`` in a column ``width_chars`` wide (CJK = 2)."""
    total = 0
    for part in text.split("\n"):
        units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in part)
        total += max(1, -(-units // max(1, int(width_chars) - 1)))
    return total


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def _workbook(payload: Mapping[str, Any]) -> Workbook:
    sealed = dt.datetime.fromisoformat(payload["sealed_at"])
    return Workbook(title=f"{payload['unit']} {payload['period']['label']}", created=sealed)


def statistics_table(payload: Mapping[str, Any], rows: list[StatRow] | None = None) -> bytes:
    """附件2 as XLSX bytes."""
    rows = statistics_rows(payload) if rows is None else rows
    wb = _workbook(payload)
    s = _Styles(wb)
    ws = wb.add_sheet("附件2", STATS_WIDTHS)
    ws.put(1, 1, "附件2", s.tag)
    ws.put(2, 1, STATS_TITLE, s.title)
    ws.merge(2, 1, 2, 6, s.title)
    ws.height(2, 48)
    ws.put(3, 1, f"填报单位（加盖公章）：{payload['unit']}", s.line)
    ws.merge(3, 1, 3, 3, s.line)
    y, m, d = report_date(payload)
    ws.put(3, 4, f"{y}年{m}月{d}日", s.line_right)
    ws.merge(3, 4, 3, 6, s.line_right)
    ws.height(3, 26)
    for col, text in enumerate(STATS_HEADER, start=1):
        ws.put(4, col, text, s.head)
    ws.height(4, 24)
    r = 5
    for row in rows:
        ws.put(r, 1, row.seq, s.center)
        ws.put(r, 2, row.name, s.text)
        ws.put(r, 3, _num(row.total), s.center)
        ws.put(r, 4, row.contact, s.center)
        ws.put(r, 5, row.phone, s.center)
        ws.put(r, 6, row.remark, s.center)
        n = lines(row.name, STATS_WIDTHS[1])
        ws.height(r, max(20, LINE_HEIGHT * n + 4))
        r += 1
    if not rows:
        ws.put(r, 1, "（本期无验收记录）", s.center)
        ws.merge(r, 1, r, 6, s.center)
    ws.freeze_row = 4
    ws.print_title_rows = (4, 4)
    return wb.to_bytes()


def score_sheets(payload: Mapping[str, Any], campaign: Campaign) -> tuple[bytes, list[str]]:
    """附件1 filled in for every assessed station: XLSX bytes and the sheet titles used."""
    visits = {v["id"]: v for v in payload["visits"]}
    wb = _workbook(payload)
    s = _Styles(wb)
    namer = SheetNamer()
    titles: list[str] = []
    veto_text = "；".join(f"{c.number}、{c.text}" for c in campaign.veto_conditions)
    for station in payload["stations"]:
        if station["visit_id"] is None:
            continue
        title = namer.take(station["name"], fallback=f"站{station['id']}")
        titles.append(title)
        ws = wb.add_sheet(title, SCORE_WIDTHS)
        _score_sheet(ws, s, campaign, station, visits[station["visit_id"]], veto_text)
    if not titles:
        ws = wb.add_sheet("附件1", SCORE_WIDTHS)
        ws.put(1, 1, "（本期无已验收的服务站）", s.line)
    return wb.to_bytes(), titles


def _score_sheet(
    ws: Sheet,
    s: _Styles,
    campaign: Campaign,
    station: Mapping[str, Any],
    visit: Mapping[str, Any],
    veto_text: str,
) -> None:
    width = SCORE_WIDTHS[2]
    ws.put(1, 1, "附件1", s.tag)
    ws.put(2, 1, SHEET_TITLE, s.title)
    ws.merge(2, 1, 2, 5, s.title)
    ws.height(2, 48)
    head = (
        f"服务站：{station['name']}\u3000\u3000验收日期：{visit['date']}"
        f"\u3000\u3000验收人：{visit['assessor']}"
    )
    ws.put(3, 1, head, s.line)
    ws.merge(3, 1, 3, 5, s.line)
    ws.height(3, 24)
    for col, text in enumerate(SCORE_HEADER, start=1):
        ws.put(4, col, text, s.head)
    scores = {it["n"]: it["score"] for it in visit["items"]}
    r = 5
    for cat in campaign.categories:
        top = r
        for n in cat.items:
            item = campaign.item(n)
            ws.put(r, 2, n, s.center)
            ws.put(r, 3, item.text, s.text)
            ws.put(r, 4, _num(item.max), s.center)
            ws.put(r, 5, _num(scores[n]), s.center)
            ws.height(r, LINE_HEIGHT * lines(item.text, width) + 3)
            r += 1
        ws.put(top, 1, f"（{cat.numeral}）\n{cat.name}", s.center)
        if r - 1 > top:
            ws.merge(top, 1, r - 1, 1, s.center)
    # Bonus items 58-60, with the matters that earned them.
    sheet = visit_sheet(campaign, visit)
    result = compute(campaign, sheet)
    counted = counted_bonus(sheet.bonus)  # visit_sheet keeps the entries in the visit's order
    top = r
    for b in campaign.bonus:
        text = b.text
        matters = [(i, e) for i, e in enumerate(visit["bonus"]) if e["item"] == b.number]
        if matters:
            text += "\n" + "；".join(
                f"{e['matter']}（{points(e['points'])}分{'' if i in counted else '，同一事项不重复计分'}）"
                for i, e in matters
            )
        ws.put(r, 2, b.number, s.center)
        ws.put(r, 3, text, s.text)
        ws.put(r, 4, _num(b.max), s.center)
        got = result.bonus_by_item.get(b.number, 0.0)
        ws.put(r, 5, _num(got) if got else None, s.center)
        ws.height(r, LINE_HEIGHT * lines(text, width) + 3)
        r += 1
    ws.put(top, 1, f"加分项\n（{points(campaign.bonus_cap)}分）", s.center)
    ws.merge(top, 1, r - 1, 1, s.center)
    # One-vote veto (item 61): which conditions, if any.
    vetoed = list(visit["veto"])
    ws.put(r, 1, "一票否决", s.center)
    ws.put(r, 2, campaign.veto_number, s.center)
    ws.put(r, 3, veto_text, s.text)
    ws.put(r, 4, None, s.center)
    ws.put(r, 5, ("否决：" + "、".join(map(str, vetoed))) if vetoed else "无", s.center)
    ws.height(r, LINE_HEIGHT * lines(veto_text, width) + 3)
    r += 1
    verdict = PASS_ZH if visit["passed"] else FAIL_ZH
    summary = (
        f"标准分 {points(visit['base'])}，加分 {points(visit['bonus_points'])}"
        f"{'，一票否决' if visit['vetoed'] else ''}；{verdict}"
    )
    ws.put(r, 1, "总得分", s.center)
    ws.put(r, 2, None, s.center)
    ws.put(r, 3, summary, s.text)
    ws.put(r, 4, None, s.center)
    ws.put(r, 5, _num(visit["total"]), s.center)
    ws.height(r, 22)
    r += 1
    ws.put(r, 1, SIGN_LINE, s.line)
    ws.merge(r, 1, r, 5, s.line)
    ws.height(r, 32)
    r += 1
    ws.put(r, 1, campaign.note, s.small)
    ws.merge(r, 1, r, 5, s.small)
    ws.height(r, LINE_HEIGHT * lines(campaign.note, sum(SCORE_WIDTHS)) + 4)
    ws.freeze_row = 4
    ws.print_title_rows = (4, 4)
