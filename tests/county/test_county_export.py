"""The county's quarterly XLSX files, read back with openpyxl and matched to the database."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from fieldtui.county import reviews
from fieldtui.county.export import CHECK_HEADER, STATS_HEADER, SUMMARY_HEADER
from fieldtui.county.report import county_report
from fieldtui.county.store import open_county
from fieldtui.domain.batch import parse_batch, sha256_hex
from fieldtui.domain.progress import china_now
from fieldtui.domain.report import statistics_rows
from fieldtui.domain.sampling import Parameters, Rule
from tests.support.batches import BatchFactory
from tests.support.docs import documented, shape
from tests.support.review import county_with_batches, failing_sheet

UNITS = ("丰收镇", "长乐镇")


@pytest.fixture
def county_home(tmp_path: Path, factory: BatchFactory) -> Path:
    home = tmp_path / "county"
    county_with_batches(home, factory, UNITS, registered=["太平镇"])
    (home / "settings.toml").write_text('unit = "丰都县退役军人服务中心"\nofficer = "王审核"\n',
                                        encoding="utf-8")  # fmt: skip
    return home


def _values(ws) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_county_statistics_and_spot_checks_read_back(
    county_home: Path, tmp_path: Path, campaign, capsys
) -> None:
    from fieldtui.cli import main

    with open_county(county_home) as store:
        s = reviews.draw_sample(store, campaign, "2023Q2", Parameters(Rule("count", 1)), "7",
                                "王审核", "2023-07-05T09:00:00.000+08:00")  # fmt: skip
        e = reviews.entries(store, s.id)[0]
        visit = reviews.township_visit(store, e.batch_id, e.station_id)
    sheet, lowered = failing_sheet(campaign, visit)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(sheet), encoding="utf-8")
    assert main(["--home", str(county_home), "county", "rescore", e.unit, str(e.station_id),
                 "--from", str(path), "--date", "2023-07-06"]) == 0  # fmt: skip
    capsys.readouterr()
    out_dir = tmp_path / "out"
    assert main(["--home", str(county_home), "county", "export", "--quarter", "2023Q2",
                 "--out", str(out_dir), "--json"]) == 0  # fmt: skip
    printed = json.loads(capsys.readouterr().out)
    assert shape(documented("county", printed)) == shape(printed)
    files = {f["kind"]: f for f in printed["files"]}
    for f in files.values():
        assert sha256_hex(Path(f["file"]).read_bytes()) == f["sha256"]
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        Path(f["file"]).name for f in files.values()
    )  # no temporary file left

    wb = openpyxl.load_workbook(files["statistics"]["file"])
    ws = wb["附件2"]
    rows = _values(ws)
    assert rows[0][0] == "附件2" and "验收情况" in str(rows[1][0])
    assert rows[2][0] == "填报单位（加盖公章）：丰都县退役军人服务中心"
    assert tuple(rows[3]) == STATS_HEADER
    assert ws.print_title_rows == "$4:$4" and ws.page_setup.paperSize in ("9", 9)
    with open_county(county_home) as store:
        from fieldtui.campaigns import active

        c = active(county_home)
        rep = county_report(c, [u.name for u in store.units()], store.batches(c.id),
                            china_now(), "2023Q2")["periods"][0]  # fmt: skip
        want = []
        for tw in rep["townships"]:
            for st in statistics_rows(parse_batch(store.body(tw["batch_id"]))):
                want.append([tw["unit"], st.name, st.total, st.contact, st.phone, st.remark])
    got = [[r[1], r[2], r[3], r[4], r[5], r[6]] for r in rows[4:]]
    assert got == want and [r[0] for r in rows[4:]] == list(range(1, len(want) + 1))
    summary = _values(wb["汇总"])
    assert tuple(summary[2]) == SUMMARY_HEADER
    body = {r[0]: r for r in summary[3:]}
    for tw in rep["townships"]:
        assert body[tw["unit"]][1:3] == [tw["stations"], tw["passed"]]
    assert body["太平镇"][1] == "未报送"
    total = body["全县"]
    assert total[1:3] == [rep["county"]["stations"], rep["county"]["passed"]]

    ck = _values(openpyxl.load_workbook(files["spot_checks"]["file"])["抽查复核"])
    assert "随机种子 7" in str(ck[1][0]) and "fieldtui.sample/1" in str(ck[1][0])
    assert tuple(ck[2]) == CHECK_HEADER
    lines = {(r[1], r[2]): r for r in ck[3:]}
    assert len(lines) == len(UNITS)
    r = lines[(e.unit, e.name)]
    assert r[3] == visit["total"] and r[4] == "达标" and r[6] == "未达标" and r[7] == "是"
    assert r[8] == "、".join(f"第{n}项" for n in lowered) and r[10] == "2023-07-06"
    other = next(v for k, v in lines.items() if k[0] != e.unit)
    assert other[6] == "待复核" and other[5] is None


def test_export_of_a_period_with_nothing_yet(county_home: Path, tmp_path: Path, capsys) -> None:
    from fieldtui.cli import main

    assert main(["--home", str(county_home), "county", "export", "--quarter", "2023Q3",
                 "--out", str(tmp_path / "o"), "--json"]) == 0  # fmt: skip
    files = {f["kind"]: f["file"] for f in json.loads(capsys.readouterr().out)["files"]}
    stats = _values(openpyxl.load_workbook(files["statistics"])["附件2"])
    assert stats[4][0] == "（本期无验收记录）"
    checks = _values(openpyxl.load_workbook(files["spot_checks"])["抽查复核"])
    assert checks[1][0] == "2023Q3：尚未抽查"
    assert main(["--home", str(county_home), "county", "export", "--quarter", "2023Q9",
                 "--out", str(tmp_path / "o")]) == 2  # fmt: skip
