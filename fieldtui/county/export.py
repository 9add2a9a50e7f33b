"""The county's quarterly files, as XLSX ready to print on A4 (the township exporter's writer and
styles, :mod:`fieldtui.sync.xlsxml` and :mod:`fieldtui.sync.tables_xlsx`):

- **统计表** — the county-wide acceptance statistics in the layout of attachment 2 of the notice,
  with a township column: title, 填报单位（加盖公章） (the campaign's recipient, the county centre)
  and the date, then 序号 / 镇乡（街道） / 退役军人服务站名称 / 得分 / 联系人 / 联系电话 / 备注, one
  row per visit each township made in the period, from its **newest** batch (a revision replaces
  what it corrects, so a corrected station appears once, with its corrected score). A second sheet
  汇总 has the county report of the period: per township stations, passed, rate, needed, met,
  submitted and late; the registered townships that sent nothing; the county's pooled rate.
- **抽查复核结果** — the spot checks of the period's newest draw: the draw (number, seed,
  algorithm, parameters, so anyone can derive it again), then per sampled station the township's
  score and verdict, the county's re-score and verdict, whether it changed, the items that differ,
  who re-scored and when, and the batch's review verdict.

Both are written with ``write_all``: no partial file under a final name; a file held open by WPS
or Excel is named and its old version kept.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fieldtui.county import reviews
from fieldtui.county.report import county_report
from fieldtui.county.store import CountyStore
from fieldtui.county.views import worklist_json
from fieldtui.domain.batch import parse_batch
from fieldtui.domain.filenames import safe_filename
from fieldtui.domain.report import statistics_rows
from fieldtui.domain.review import verdict_label
from fieldtui.domain.rubric import CHINA_TZ, Campaign
from fieldtui.i18n import percent
from fieldtui.sync.tables_xlsx import FONT_HEAD, LINE_HEIGHT, STATS_TITLE, lines
from fieldtui.sync.xlsxml import Workbook

STATS_HEADER = ("序号", "镇乡（街道）", "退役军人服务站名称", "得分", "联系人", "联系电话", "备注")
STATS_WIDTHS = (7, 14, 36, 8, 11, 15, 14)
SUMMARY_HEADER = ("镇乡（街道）", "服务站", "达标", "达标率", "需达标", "是否达到目标", "报送时间", "是否逾期")  # fmt: skip
SUMMARY_WIDTHS = (16, 8, 8, 9, 8, 12, 18, 12)
CHECK_HEADER = ("序号", "镇乡（街道）", "退役军人服务站名称", "镇乡得分", "镇乡结论", "县复核得分",
                "县复核结论", "结论改变", "不一致项目", "复核人", "复核日期", "批次审核意见")  # fmt: skip
CHECK_WIDTHS = (6, 12, 30, 9, 9, 10, 10, 9, 18, 10, 12, 14)
CHECK_TITLE = "服务对象100人以下村（社区）退役军人服务站规范建设运行抽查复核结果"


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


class _Styles:
    def __init__(self, wb: Workbook) -> None:
        self.tag = wb.style(font=FONT_HEAD, size=12, horizontal="left")
        self.title = wb.style(size=16, bold=True, horizontal="center", wrap=True)
        self.line = wb.style(horizontal="left", wrap=True)
        self.line_right = wb.style(horizontal="right")
        self.head = wb.style(bold=True, border=True, horizontal="center", wrap=True)
        self.center = wb.style(border=True, horizontal="center", wrap=True)
        self.text = wb.style(border=True, horizontal="left", wrap=True)
        self.bold_center = wb.style(bold=True, border=True, horizontal="center", wrap=True)


def _date_line(now: dt.datetime) -> str:
    d = now.astimezone(CHINA_TZ).date()
    return f"{d.year}年{d.month}月{d.day}日"


def statistics_workbook(
    store: CountyStore, campaign: Campaign, period: str, now: dt.datetime, unit: str = ""
) -> bytes:
    """附件2 for the whole county (with a township column) and the 汇总 sheet."""
    units = [u.name for u in store.units()]
    rep = county_report(campaign, units, store.batches(campaign.id), now, period)["periods"][0]
    unit = unit or campaign.recipient
    wb = Workbook(title=f"{unit} {period}", created=now)
    s = _Styles(wb)
    ws = wb.add_sheet("附件2", STATS_WIDTHS)
    ncol = len(STATS_HEADER)
    ws.put(1, 1, "附件2", s.tag)
    ws.put(2, 1, STATS_TITLE, s.title)
    ws.merge(2, 1, 2, ncol, s.title)
    ws.height(2, 48)
    ws.put(3, 1, f"填报单位（加盖公章）：{unit}", s.line)
    ws.merge(3, 1, 3, 4, s.line)
    ws.put(3, 5, _date_line(now), s.line_right)
    ws.merge(3, 5, 3, ncol, s.line_right)
    ws.height(3, 26)
    for col, text in enumerate(STATS_HEADER, start=1):
        ws.put(4, col, text, s.head)
    ws.height(4, 24)
    r, seq = 5, 0
    for row in rep["townships"]:
        body = store.body(row["batch_id"])
        assert body is not None
        for stat in statistics_rows(parse_batch(body)):
            seq += 1
            ws.put(r, 1, seq, s.center)
            ws.put(r, 2, row["unit"], s.center)
            ws.put(r, 3, stat.name, s.text)
            ws.put(r, 4, _num(stat.total), s.center)
            ws.put(r, 5, stat.contact, s.center)
            ws.put(r, 6, stat.phone, s.center)
            ws.put(r, 7, stat.remark, s.center)
            ws.height(r, max(20, LINE_HEIGHT * lines(stat.name, STATS_WIDTHS[2]) + 4))
            r += 1
    if seq == 0:
        ws.put(r, 1, "（本期无验收记录）", s.center)
        ws.merge(r, 1, r, ncol, s.center)
    ws.freeze_row = 4
    ws.print_title_rows = (4, 4)

    sm = wb.add_sheet("汇总", SUMMARY_WIDTHS)
    c = rep["county"]
    sm.put(1, 1, f"{period} 各镇乡（街道）达标情况汇总", s.title)
    sm.merge(1, 1, 1, len(SUMMARY_HEADER), s.title)
    sm.height(1, 36)
    sm.put(2, 1, f"截止时间 {rep['due'][:16].replace('T', ' ')}，目标达标率 {percent(rep['target'])}", s.line)  # fmt: skip
    sm.merge(2, 1, 2, len(SUMMARY_HEADER), s.line)
    for col, text in enumerate(SUMMARY_HEADER, start=1):
        sm.put(3, col, text, s.head)
    r = 4
    for row in rep["townships"]:
        late = f"逾期{row['late_days']}天" if row["late"] else "按时"
        for col, value in enumerate(
            (row["unit"], row["stations"], row["passed"], percent(row["rate"]), row["needed"],
             "达到" if row["met"] else "未达到", row["submitted_at"][:16].replace("T", " "), late),
            start=1,
        ):  # fmt: skip
            sm.put(r, col, value, s.text if col == 1 else s.center)
        r += 1
    for unit in rep["missing"]:
        sm.put(r, 1, unit, s.text)
        sm.put(r, 2, "未报送", s.center)
        sm.merge(r, 2, r, len(SUMMARY_HEADER), s.center)
        r += 1
    for col, value in enumerate(
        ("全县", c["stations"], c["passed"], percent(c["rate"]), c["needed"],
         "达到" if c["met"] else "未达到", f"报送 {c['townships']} 个", f"逾期 {c['late']} 个"),
        start=1,
    ):  # fmt: skip
        sm.put(r, col, value, s.bold_center)
    sm.freeze_row = 3
    sm.print_title_rows = (3, 3)
    return wb.to_bytes()


def checks_workbook(
    store: CountyStore, campaign: Campaign, period: str, now: dt.datetime, unit: str = ""
) -> tuple[bytes, int]:
    """The spot-check results of the period's newest draw; also how many stations it lists."""
    s_row = reviews.latest_sample(store, campaign.id, period)
    data = worklist_json(store, campaign, s_row)
    unit = unit or campaign.recipient
    wb = Workbook(title=f"{unit} {period} 抽查复核", created=now)
    s = _Styles(wb)
    ws = wb.add_sheet("抽查复核", CHECK_WIDTHS)
    ncol = len(CHECK_HEADER)
    ws.put(1, 1, CHECK_TITLE, s.title)
    ws.merge(1, 1, 1, ncol, s.title)
    ws.height(1, 40)
    if s_row is None:
        ws.put(2, 1, f"{period}：尚未抽查", s.line)
        ws.merge(2, 1, 2, ncol, s.line)
        return wb.to_bytes(), 0
    params = s_row.record["parameters"]["default"]
    rule = f"每镇乡抽 {percent(params['value'])}" if params["mode"] == "share" else f"每镇乡抽 {params['value']} 个"  # fmt: skip
    ws.put(2, 1, f"{unit}  {period}  抽查 #{s_row.id}  {rule}  "
                 f"随机种子 {s_row.seed}（{s_row.algorithm}）  抽取人 {s_row.reviewer}  "
                 f"{s_row.drawn_at[:10]}", s.line)  # fmt: skip
    ws.merge(2, 1, 2, ncol, s.line)
    ws.height(2, 30)
    for col, text in enumerate(CHECK_HEADER, start=1):
        ws.put(3, col, text, s.head)
    ws.height(3, 30)
    r = 4
    for i, e in enumerate(data["entries"], start=1):
        resc, comp = e["rescore"], e["comparison"]
        township_passed = comp["township"]["passed"] if comp else True  # sampled: reported passed
        cells: list[Any] = [
            i,
            e["unit"],
            e["name"],
            e["township_total"],
            "达标" if township_passed else "未达标",
            "" if resc is None else resc["total"],
            "待复核" if resc is None else ("达标" if resc["passed"] else "未达标"),
            "" if comp is None else ("是" if comp["verdict_changed"] else "否"),
            "" if comp is None else "、".join(f"第{x['n']}项" for x in comp["items"]) or "无",
            "" if resc is None else resc["reviewer"],
            "" if resc is None else resc["date"],
            verdict_label(e["batch_status"], "zh"),
        ]
        for col, value in enumerate(cells, start=1):
            ws.put(r, col, value, s.text if col in (3, 9) else s.center)
        ws.height(r, max(20, LINE_HEIGHT * lines(e["name"], CHECK_WIDTHS[2]) + 4))
        r += 1
    ws.freeze_row = 3
    ws.print_title_rows = (3, 3)
    return wb.to_bytes(), len(data["entries"])


def export_quarter(
    store: CountyStore,
    campaign: Campaign,
    period: str,
    out_dir: Path,
    now_iso: str,
    unit: str = "",
) -> list[dict[str, Any]]:
    """Write both workbooks into ``out_dir``; returns what was written (the ``--json`` list).
    ``unit`` is the county centre's name (default: the campaign's recipient)."""
    from fieldtui.domain.batch import sha256_hex
    from fieldtui.sync.files import write_all

    now = dt.datetime.fromisoformat(now_iso)
    unit = unit or campaign.recipient
    stats = statistics_workbook(store, campaign, period, now, unit)
    checks, _ = checks_workbook(store, campaign, period, now, unit)
    files = [
        (safe_filename(f"{unit}{period}验收情况统计表", "xlsx"), stats, "statistics"),
        (safe_filename(f"{unit}{period}抽查复核结果", "xlsx"), checks, "spot_checks"),
    ]
    written = write_all(out_dir, [(name, data) for name, data, _ in files])
    return [
        {"kind": kind, "file": str(path), "sha256": sha256_hex(data), "size": len(data)}
        for path, (_, data, kind) in zip(written, files, strict=True)
    ]
