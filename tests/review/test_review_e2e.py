"""The whole review loop over a real ``fieldtui county serve`` and the real township commands.

A township pushes its quarter; the county samples, re-scores one station lower so that it fails,
and returns the batch; the township fetches the verdict, corrects the station as a revision and
sends the superseding batch; the county accepts it, and the county report counts the station
once, with its corrected score. Every step is the real ``fieldtui`` command in a subprocess.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldtui.county import reviews
from fieldtui.county.store import open_county
from tests.support.county_server import CountyServer, fieldtui, start_county
from tests.support.docs import documented, fits, shape
from tests.support.review import failing_sheet
from tests.sync.helpers import UNIT, make_settings, small_township

OTHER = "三合镇"


@pytest.fixture
def real_county(tmp_path: Path) -> Iterator[CountyServer]:
    with start_county(tmp_path / "county", units=[UNIT, OTHER]) as srv:
        yield srv


@pytest.fixture
def township(home: Path, store, campaign, real_county: CountyServer) -> dict[str, int]:
    make_settings(home)
    ids = small_township(store, campaign)
    fieldtui(home, "config", "set", "endpoint", real_county.url)
    fieldtui(home, "config", "set", "token", real_county.tokens[UNIT])
    return ids


def _json(proc) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(proc.stdout)


def test_returned_corrected_resent_accepted_and_counted_once(
    home: Path, township: dict[str, int], campaign, real_county: CountyServer, tmp_path: Path
) -> None:
    county = real_county
    # 1. The township pushes 2023Q2; send fetches the (still pending) review at once.
    sent = _json(fieldtui(home, "send", "--quarter", "2023Q2", "--json"))
    (b1,) = sent["batches"]
    assert b1["status"] == "acknowledged"
    first = b1["batch_id"]
    assert sent["reviews"]["batches"] == [
        {"batch_id": first, "period": "2023Q2", "status": "pending", "changed": True, "error": ""}
    ]
    report0 = _json(county.cli("county", "report", "--quarter", "2023Q2", "--json"))
    row0 = next(r for r in report0["periods"][0]["townships"] if r["unit"] == UNIT)
    assert row0["batch_id"] == first

    # 2. The county draws every passed station of the township (seeded) and re-scores 青龙村 lower.
    s = _json(county.cli("county", "sample", "--quarter", "2023Q2", "--count", "5", "--seed",
                         "2023-07-05", "--reviewer", "王审核", "--json"))["sample"]  # fmt: skip
    (tw,) = s["townships"]
    assert tw["unit"] == UNIT and tw["population"] == row0["passed"]
    target = township["a"]
    assert target in [x["station_id"] for x in tw["stations"]]
    with open_county(county.home) as cs:
        visit = reviews.township_visit(cs, first, target)
    assert visit is not None and visit["passed"] is True
    sheet, lowered = failing_sheet(campaign, visit)
    sheet["notes"] = {str(lowered[0]): "现场核查：无专职人员"}
    sheet_path = tmp_path / "county-sheet.json"
    sheet_path.write_text(json.dumps(sheet, ensure_ascii=False), encoding="utf-8")
    rescored = _json(county.cli("county", "rescore", UNIT, str(target), "--from", str(sheet_path),
                                "--reviewer", "王审核", "--json"))  # fmt: skip
    assert rescored["comparison"]["verdict_changed"] is True
    county_total = rescored["rescore"]["total"]
    assert county_total < campaign.pass_mark

    # 3. The county returns the batch, naming the station.
    county.cli("county", "verdict", first, "returned", "--reason", "抽查复核不达标，请更正",
               "--stations", str(target), "--reviewer", "王审核")  # fmt: skip

    # 4. The township fetches the verdict and sees what to correct.
    got = _json(fieldtui(home, "review", "--json"))
    assert got["fetch"]["fetched"] == 1
    (rv,) = got["reviews"]
    assert rv["batch_id"] == first and rv["status"] == "returned" and rv["newest"]
    assert rv["verdict"]["reason"] == "抽查复核不达标，请更正"
    (fix,) = rv["to_correct"]
    assert fix["station_id"] == target and fix["county_total"] == county_total
    assert fix["items"] == lowered and fix["visit_id"] == visit["id"]
    text = fieldtui(home, "--lang", "en", "review", "--no-fetch").stdout
    assert "returned" in text and "to correct" in text

    # 5. It corrects the station as a revision of the counting visit, and sends again.
    fieldtui(home, "assess", str(target), "--revises", str(fix["visit_id"]), "--reason",
             "按县级抽查复核更正", "--from", str(sheet_path), "--complete")  # fmt: skip
    resent = _json(fieldtui(home, "send", "--quarter", "2023Q2", "--json"))
    (b2,) = resent["batches"]
    second = b2["batch_id"]
    assert b2["status"] == "acknowledged" and b2["receipt"]["supersedes"] == first

    # 6. The county accepts the superseding batch; the returned one is superseded.
    refused = county.cli("county", "verdict", first, "accepted", "--reviewer", "王审核",
                         check=False)  # fmt: skip
    assert refused.returncode == 2 and second in refused.stderr
    county.cli("county", "verdict", second, "accepted", "--reviewer", "王审核")
    got = _json(fieldtui(home, "review", "--json"))
    by_id = {r["batch_id"]: r for r in got["reviews"]}
    assert by_id[second]["status"] == "accepted" and by_id[second]["newest"]
    assert by_id[second]["to_correct"] == []
    assert by_id[first]["newest"] is False
    # (the documented shapes are these: the returned batch's review has every part filled)
    doc = documented("review", got)
    filled = {
        **by_id[first],
        "spot_checks": [x for x in by_id[first]["spot_checks"] if x["county"]],
    }
    assert shape(doc["reviews"]) == shape([filled]) and shape(doc["fetch"]) == shape(got["fetch"])
    assert fits(resent, documented("batches", resent)), resent

    # 7. The county report counts the station once, with its corrected score.
    report = _json(county.cli("county", "report", "--quarter", "2023Q2", "--json"))
    row = next(r for r in report["periods"][0]["townships"] if r["unit"] == UNIT)
    assert row["batch_id"] == second and row["batches"] == 2
    assert row["stations"] == row0["stations"] and row["passed"] == row0["passed"] - 1
    with open_county(county.home) as cs:
        stations = [r for r in cs.stations_of(second) if r["station_id"] == target]
        assert len(stations) == 1
        assert stations[0]["total"] == county_total and stations[0]["passed"] == 0
        corrected = reviews.township_visit(cs, second, target)
    assert corrected is not None and corrected["revises"] == visit["id"]
    assert corrected["reason"] == "按县级抽查复核更正"


def test_review_file_for_email_townships_is_imported_and_checked(
    home: Path, township: dict[str, int], real_county: CountyServer, tmp_path: Path
) -> None:
    county = real_county
    sent = _json(fieldtui(home, "send", "--quarter", "2023Q2", "--json"))
    bid = sent["batches"][0]["batch_id"]
    county.cli("county", "verdict", bid, "accepted_with_corrections", "--reason",
               "第9项请补充照片", "--reviewer", "王审核")  # fmt: skip
    out = _json(county.cli("county", "review", "export", "--out", str(tmp_path / "mail"),
                           "--json"))  # fmt: skip
    files = {f["unit"]: Path(f["file"]) for f in out["files"]}
    assert set(files) == {UNIT}  # only townships with batches get a file
    # (a well-formed file of another township, as the county would make it)
    from fieldtui.domain.batch import canonical
    from fieldtui.domain.review import sign_reviews_file

    files[OTHER] = tmp_path / "other.json"
    files[OTHER].write_bytes(
        canonical(sign_reviews_file(OTHER, "2023-07-06T09:00:00+08:00", [], []))
    )
    # A township imports its own file: checked against its token, stored once.
    imp = _json(fieldtui(home, "review", "import", str(files[UNIT]), "--json"))
    assert imp["signed"] is True and imp["stored"] == [bid] and imp["unknown"] == []
    assert shape(documented("review", imp)) == shape({**imp, "unchanged": [bid]})
    again = _json(fieldtui(home, "review", "import", str(files[UNIT]), "--json"))
    assert again["stored"] == [] and again["unchanged"] == [bid]
    shown = _json(fieldtui(home, "review", "--no-fetch", "--json"))["reviews"]
    assert shown[0]["status"] == "accepted_with_corrections" and shown[0]["source"] == "file"
    # Another township's file, a damaged file, a file signed for another token: refused.
    other = fieldtui(home, "review", "import", str(files[OTHER]), check=False)
    assert other.returncode == 2 and OTHER in other.stderr
    damaged = tmp_path / "damaged.json"
    damaged.write_bytes(files[UNIT].read_bytes().replace("第9项".encode(), "第8项".encode()))
    bad = fieldtui(home, "review", "import", str(damaged), check=False)
    assert bad.returncode == 2 and "SHA-256" in bad.stderr
    fieldtui(home, "config", "set", "token", "another-token-0123456789abcdef")
    forged = fieldtui(home, "review", "import", str(files[UNIT]), check=False)
    assert forged.returncode == 2 and "signature" in forged.stderr
