"""The county report: newest batch per township and period, lateness, pooled rate, missing."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

from fieldtui.campaigns import active
from fieldtui.county.report import county_report, newest
from fieldtui.county.store import StoredBatch
from fieldtui.domain.batch import API_PATH
from fieldtui.domain.rubric import CHINA_TZ
from tests.support.batches import BatchFactory
from tests.support.county_server import fieldtui

CAMPAIGN = active(None)
_seq = iter(range(1, 10_000))


def sb(
    unit: str,
    period: str,
    sealed: str,
    received: str,
    *,
    source: str = "push",
    supersedes: str | None = None,
    stations: int = 10,
    passed: int = 5,
    bid: str | None = None,
) -> StoredBatch:
    return StoredBatch(
        seq=next(_seq),
        batch_id=bid or str(uuid.uuid4()),
        digest="0" * 64,
        unit=unit,
        campaign_id=CAMPAIGN.id,
        period=period,
        supersedes=supersedes,
        content_hash="1" * 64,
        sealed_at=sealed,
        received_at=received,
        source=source,
        stations=stations,
        passed=passed,
        size=1,
        receipt={},
    )


NOW = dt.datetime(2023, 7, 15, 12, 0, tzinfo=CHINA_TZ)


def _period(report: dict, label: str) -> dict:
    return next(p for p in report["periods"] if p["period"] == label)


def test_newest_batch_counts_and_superseding_wins_over_a_wrong_clock() -> None:
    first = sb("甲镇", "2023Q2", "2023-06-20T10:00:00+08:00", "2023-06-20T10:01:00+08:00", passed=3)
    # The correction was sealed on a laptop whose clock ran behind, but it names the first.
    fix = sb("甲镇", "2023Q2", "2023-06-19T09:00:00+08:00", "2023-06-21T09:00:00+08:00",
             supersedes=first.batch_id, passed=6)  # fmt: skip
    assert newest([first, fix]) == fix
    # Without a supersedes link the later seal wins.
    other = sb("甲镇", "2023Q2", "2023-06-22T09:00:00+08:00", "2023-06-22T09:00:00+08:00", passed=7)
    assert newest([first, fix, other]) == other
    report = county_report(CAMPAIGN, ["甲镇"], [first, fix], NOW)
    row = _period(report, "2023Q2")["townships"][0]
    assert (row["batch_id"], row["passed"], row["batches"]) == (fix.batch_id, 6, 2)


def test_lateness_by_receipt_time_or_seal_time_of_the_first_submission() -> None:
    due = "2023-06-30T23:59:00+08:00"
    on_time_push = sb("甲镇", "2023Q2", "2023-06-30T20:00:00+08:00", "2023-06-30T23:58:59+08:00")
    late_push = sb("乙镇", "2023Q2", "2023-06-30T20:00:00+08:00", "2023-07-01T00:00:00+08:00")
    # e-mailed: sealed in time, imported days later -> on time
    mailed = sb(
        "丙镇", "2023Q2", "2023-06-30T22:00:00+08:00", "2023-07-05T09:00:00+08:00", source="import"
    )
    mailed_late = sb(
        "丁镇", "2023Q2", "2023-07-01T08:00:00+08:00", "2023-07-01T09:00:00+08:00", source="import"
    )
    # on time first, corrected after the deadline -> still on time, newest figures
    first = sb("戊镇", "2023Q2", "2023-06-29T10:00:00+08:00", "2023-06-29T10:00:00+08:00", passed=2)
    later = sb("戊镇", "2023Q2", "2023-07-03T10:00:00+08:00", "2023-07-03T10:00:00+08:00",
               supersedes=first.batch_id, passed=8)  # fmt: skip
    # received at 23:59:30 +08 written in UTC: the offset is respected
    utc = sb("己镇", "2023Q2", "2023-06-30T15:00:00+00:00", "2023-06-30T15:59:30+00:00")
    batches = [on_time_push, late_push, mailed, mailed_late, first, later, utc]
    units = ["甲镇", "乙镇", "丙镇", "丁镇", "戊镇", "己镇"]
    p = _period(county_report(CAMPAIGN, units, batches, NOW), "2023Q2")
    assert p["due"] == due
    late = {r["unit"]: r["late"] for r in p["townships"]}
    assert late == {
        "甲镇": False,
        "乙镇": True,
        "丙镇": False,
        "丁镇": True,
        "戊镇": False,
        "己镇": True,
    }
    row = next(r for r in p["townships"] if r["unit"] == "戊镇")
    assert row["passed"] == 8 and row["submitted_at"] == first.received_at
    ding = next(r for r in p["townships"] if r["unit"] == "丁镇")
    assert 0.3 < ding["late_by_days"] < 1 and ding["late_days"] == 1  # a day begun counts
    utc_row = next(r for r in p["townships"] if r["unit"] == "己镇")  # 30 s late
    assert utc_row["late_by_days"] == 0 and utc_row["late_days"] == 1
    assert next(r for r in p["townships"] if r["unit"] == "甲镇")["late_days"] == 0
    assert p["county"]["late"] == 3


def test_pooled_rate_missing_townships_and_no_stations() -> None:
    batches = [
        sb(
            "甲镇",
            "2023Q2",
            "2023-06-20T10:00:00+08:00",
            "2023-06-20T10:00:00+08:00",
            stations=10,
            passed=9,
        ),
        sb(
            "乙镇",
            "2023Q2",
            "2023-06-20T10:00:00+08:00",
            "2023-06-20T10:00:00+08:00",
            stations=30,
            passed=6,
        ),
        sb(
            "甲镇",
            "2023Q1",
            "2023-04-20T10:00:00+08:00",
            "2023-04-20T10:00:00+08:00",
            stations=0,
            passed=0,
        ),
    ]
    report = county_report(CAMPAIGN, ["甲镇", "乙镇", "丙镇"], batches, NOW)
    q2 = _period(report, "2023Q2")
    c = q2["county"]
    assert (c["townships"], c["stations"], c["passed"]) == (2, 40, 15)
    assert c["rate"] == 15 / 40  # pooled, not the mean of 0.9 and 0.2
    assert c["needed"] == 20 and c["met"] is False
    assert q2["missing"] == ["丙镇"]
    q1 = _period(report, "2023Q1")
    assert q1["townships"][0]["rate"] is None and q1["county"]["rate"] is None
    assert q1["missing"] == sorted(["乙镇", "丙镇"])
    # Q3 is not due on 15 July and has no batches: not reported; asked for, it is (all missing).
    assert [p["period"] for p in report["periods"]] == ["2023Q1", "2023Q2"]
    q3 = county_report(CAMPAIGN, ["甲镇"], batches, NOW, "2023Q3")["periods"]
    assert [(p["period"], p["missing"], p["county"]["met"]) for p in q3] == [
        ("2023Q3", ["甲镇"], False)
    ]
    # An imported batch of a township registered later, or a revoked one, still counts.
    assert {r["unit"] for r in q2["townships"]} == {"甲镇", "乙镇"}


def test_report_end_to_end_over_pushes_and_imports(
    county, client, factory: BatchFactory, tmp_path
) -> None:
    """Two townships push (now: after every 2023 deadline, so late), one e-mails a batch sealed in
    time; the third registered township sends nothing for Q3."""
    a = factory.seal("丰收镇", "2023Q2")
    fix = factory.seal(
        "丰收镇", "2023Q2", supersedes=a.batch_id, change=lambda c: c.update(officer="李四")
    )
    b = factory.seal("长乐镇", "2023Q2")
    for s, unit in ((a, "丰收镇"), (fix, "丰收镇"), (b, "长乐镇")):
        assert (
            client.post(
                county.url + API_PATH, content=s.body, headers=s.headers(county.tokens[unit])
            ).status_code
            == 201
        )
    mailed = factory.seal(
        "太平镇", "2023Q2", sealed_at=dt.datetime(2023, 6, 28, 17, 30, tzinfo=CHINA_TZ)
    )
    q3 = factory.seal("长乐镇", "2023Q3")
    assert (
        client.post(
            county.url + API_PATH, content=q3.body, headers=q3.headers(county.tokens["长乐镇"])
        ).status_code
        == 201
    )
    path = tmp_path / "mailed.json"
    path.write_bytes(mailed.body)
    fieldtui(county.home, "county", "import", str(path))

    report = json.loads(fieldtui(county.home, "county", "report", "--json").stdout)
    assert report["campaign"] == factory.campaign.id
    assert report["registered"] == sorted(["丰收镇", "长乐镇", "太平镇"])
    q2 = _period(report, "2023Q2")
    rows = {r["unit"]: r for r in q2["townships"]}
    prog = a.payload["progress"]
    for unit in ("丰收镇", "长乐镇", "太平镇"):
        assert (rows[unit]["stations"], rows[unit]["passed"]) == (prog["stations"], prog["passed"])
        assert rows[unit]["rate"] == prog["rate"]
        assert rows[unit]["needed"] == prog["needed"] and rows[unit]["met"] == prog["met"]
    assert rows["丰收镇"]["batch_id"] == fix.batch_id and rows["丰收镇"]["batches"] == 2
    assert rows["丰收镇"]["late"] is True and rows["长乐镇"]["late"] is True
    assert rows["太平镇"]["late"] is False and rows["太平镇"]["source"] == "import"
    assert q2["missing"] == []
    c = q2["county"]
    assert c["stations"] == 3 * prog["stations"] and c["passed"] == 3 * prog["passed"]
    assert c["rate"] == prog["passed"] / prog["stations"]
    assert _period(report, "2023Q3")["missing"] == ["丰收镇", "太平镇"]
    # --quarter and the text form
    one = json.loads(
        fieldtui(county.home, "county", "report", "--json", "--quarter", "2023Q3").stdout
    )
    assert [p["period"] for p in one["periods"]] == ["2023Q3"]
    text = fieldtui(county.home, "--lang", "en", "county", "report", "--quarter", "2023Q2").stdout
    assert "丰收镇" in text and "late by" in text and "county:" in text
    assert re.search(r"late by \d+ d\b", text) and not re.search(r"late by \d+\.\d", text)
    zh = fieldtui(county.home, "--lang", "zh", "county", "report", "--quarter", "2023Q3").stdout
    assert "未报送" in zh and "全县" in zh
    bad = fieldtui(county.home, "county", "report", "--quarter", "2023Q9", check=False)
    assert bad.returncode == 2 and "2023Q9" in bad.stderr


def _doc_examples() -> list[dict]:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split("## county", 1)[1]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def test_docs_cli_md_shows_the_real_json_shapes() -> None:
    docs = {frozenset(d): d for d in _doc_examples()}
    report = county_report(
        CAMPAIGN,
        ["甲镇", "乙镇"],
        [sb("甲镇", "2023Q2", "2023-06-20T10:00:00+08:00", "2023-06-20T10:00:00+08:00")],
        NOW,
        "2023Q2",
    )
    doc = docs[frozenset(report)]
    assert _shape(doc) == _shape(report)
