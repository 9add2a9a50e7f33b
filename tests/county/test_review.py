"""The county's review over a real county database: draws stored and re-derived, re-scores through
the workbook with the one engine, append-only verdicts, the review document and the review file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldtui.county import reviews
from fieldtui.county.store import open_county
from fieldtui.domain.review import REVIEW_SCHEMA, REVIEWS_FILE_SCHEMA, ReviewError
from tests.support.batches import BatchFactory
from tests.support.review import county_with_batches, failing_sheet, sheet_of

UNITS = ("丰收镇", "长乐镇")


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def county_home(tmp_path: Path, factory: BatchFactory) -> Path:
    home = tmp_path / "county"
    county_with_batches(home, factory, UNITS, registered=["太平镇"])
    return home


@pytest.fixture
def cli(county_home: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    from fieldtui.cli import main

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(["--home", str(county_home), "--lang", "en", *args])
        got = capsys.readouterr()
        return Run(code, got.out, got.err)

    return run


def _sample(cli: Callable[..., Run], *extra: str) -> dict[str, Any]:
    r = cli("county", "sample", "--quarter", "2023Q2", "--reviewer", "王审", "--json", *extra)
    assert r.code == 0, r.err
    return r.json()["sample"]


def test_sample_is_stored_with_its_seed_and_derived_again(cli, county_home: Path) -> None:
    s = _sample(cli, "--share", "0.2", "--seed", "2023")
    assert s["seed"] == "2023" and s["algorithm"] == "fieldtui.sample/1"
    assert s["parameters"] == {"default": {"mode": "share", "value": 0.2}, "per_unit": {}}
    got = {t["unit"]: t for t in s["townships"]}
    assert set(got) == set(UNITS)  # 太平镇 sent nothing: nothing to draw
    for t in got.values():
        assert (
            t["drawn"] == max(1, -(-t["population"] * 2 // 10)) and len(t["stations"]) == t["drawn"]
        )
    ok = cli("county", "verify-sample", str(s["id"]), "--json")
    assert ok.code == 0 and ok.json() == {
        "sample_id": s["id"], "seed": "2023", "reproduced": True, "problems": []
    }  # fmt: skip
    # The same seed draws the same stations again; the draw is stored twice (append-only).
    again = _sample(cli, "--share", "0.2", "--seed", "2023")
    assert again["id"] == s["id"] + 1
    assert [t["stations"] for t in again["townships"]] == [t["stations"] for t in s["townships"]]
    # A stored draw cannot be edited afterwards.
    with open_county(county_home) as store, pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE samples SET seed = '1' WHERE id = ?", (s["id"],))
    # The work list is the newest draw.
    wl = cli("county", "worklist", "--json").json()
    assert wl["sample"]["id"] == again["id"] and wl["done"] == 0
    assert wl["total"] == sum(t["drawn"] for t in s["townships"])


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(
        st.floats(0.01, 1).map(lambda v: ("--share", repr(v))),
        st.integers(0, 30).map(lambda v: ("--count", str(v))),
    ),
    st.text(alphabet="0123456789abcdef-丰", min_size=1, max_size=12),
)
def test_every_stored_draw_reproduces_and_covers_every_township(
    cli, county_home: Path, how: tuple[str, str], seed: str
) -> None:
    s = _sample(cli, *how, f"--seed={seed}")
    with open_county(county_home) as store:
        assert reviews.verify_sample(store, s["id"]) == []
        pops = {p.unit: len(p.stations) for p in reviews.populations(
            store, __import__("fieldtui.campaigns").campaigns.active(None), "2023Q2")}  # fmt: skip
    for t in s["townships"]:
        assert t["population"] == pops[t["unit"]]
        if how[0] == "--share" and pops[t["unit"]]:
            assert t["drawn"] >= 1


def test_verify_sample_catches_a_forged_draw(cli, county_home: Path) -> None:
    s = _sample(cli, "--count", "2", "--seed", "x")
    with open_county(county_home) as store:
        store.conn.execute("DROP TRIGGER sample_stations_no_delete")
        store.conn.execute(
            "DELETE FROM sample_stations WHERE sample_id = ? AND position = 0", (s["id"],)
        )
    bad = cli("county", "verify-sample", str(s["id"]), "--json")
    assert bad.code == 1 and bad.json()["reproduced"] is False


def test_sample_refusals(cli) -> None:
    r = cli("county", "sample", "--quarter", "2023Q9", "--share", "0.2", "--reviewer", "王")
    assert r.code == 2 and "2023Q9" in r.err
    r = cli("county", "sample", "--quarter", "2023Q2", "--share", "1.5", "--reviewer", "王")
    assert r.code == 2 and "--share" in r.err
    r = cli("county", "sample", "--quarter", "2023Q3", "--count", "1", "--reviewer", "王")
    assert r.code == 2 and "no township has sent" in r.err
    r = cli("county", "sample", "--quarter", "2023Q2", "--count", "1")
    assert r.code == 2 and "--reviewer" in r.err
    r = cli("county", "sample", "--quarter", "2023Q2", "--count", "1", "--reviewer", "王",
            "--unit-count", "无此镇=3")  # fmt: skip
    assert r.code == 2 and "无此镇" in r.err


def _first_entry(county_home: Path, sample_id: int) -> tuple[reviews.Entry, dict[str, Any]]:
    with open_county(county_home) as store:
        e = reviews.entries(store, sample_id)[0]
        visit = reviews.township_visit(store, e.batch_id, e.station_id)
    assert visit is not None
    return e, visit


def test_rescore_compares_item_by_item_and_a_revision_supersedes(
    cli, county_home: Path, tmp_path: Path, campaign
) -> None:
    s = _sample(cli, "--count", "1", "--seed", "7")
    e, visit = _first_entry(county_home, s["id"])
    sheet, lowered = failing_sheet(campaign, visit)
    sheet["notes"] = {str(lowered[0]): "台账缺失"}
    path = tmp_path / "fail.json"
    path.write_text(json.dumps(sheet, ensure_ascii=False), encoding="utf-8")
    r = cli("county", "rescore", e.unit, str(e.station_id), "--from", str(path),
            "--reviewer", "王审", "--date", "2023-07-05", "--json")  # fmt: skip
    assert r.code == 0, r.err
    out = r.json()
    comp = out["comparison"]
    assert comp["township"]["total"] == visit["total"] and comp["township"]["passed"] is True
    assert comp["county"]["passed"] is False and comp["county"]["total"] < 90
    assert comp["verdict_changed"] is True
    assert [i["n"] for i in comp["items"]] == lowered
    assert all(i["county"] == 0 and i["township"] == i["max"] for i in comp["items"])
    assert comp["delta"] == comp["county"]["total"] - comp["township"]["total"]
    first = out["rescore"]["id"]
    # text form: side by side, verdict change flagged
    text = cli("county", "worklist")
    assert "verdict changes" in text.out and e.name in text.out
    # correct the county's own re-score: a revision, the first stays on record
    path.write_text(json.dumps(sheet_of(visit), ensure_ascii=False), encoding="utf-8")
    no_reason = cli("county", "rescore", e.unit, e.name, "--from", str(path), "--reviewer", "王审",
                    "--revises", str(first))  # fmt: skip
    assert no_reason.code == 2 and "--reason" in no_reason.err
    rev = cli("county", "rescore", e.unit, e.name, "--from", str(path), "--reviewer", "王审",
              "--revises", str(first), "--reason", "看错了台账", "--json").json()  # fmt: skip
    assert rev["rescore"]["supersedes"] == first
    assert rev["comparison"]["items"] == [] and rev["comparison"]["verdict_changed"] is False
    wl = cli("county", "worklist", "--json").json()
    entry = next(
        x for x in wl["entries"] if x["station_id"] == e.station_id and x["unit"] == e.unit
    )
    assert entry["rescore"]["id"] == rev["rescore"]["id"]
    with open_county(county_home) as store:
        assert reviews.rescore(store, first) is not None  # kept, superseded
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute("UPDATE rescores SET total = 100 WHERE id = ?", (first,))


def test_rescore_refusals(cli, county_home: Path, tmp_path: Path, campaign) -> None:
    s = _sample(cli, "--count", "1", "--seed", "7")
    e, visit = _first_entry(county_home, s["id"])
    sheet = sheet_of(visit)
    path = tmp_path / "s.json"
    # not sampled
    path.write_text(json.dumps(sheet), encoding="utf-8")
    r = cli("county", "rescore", e.unit, "99999", "--from", str(path), "--reviewer", "王")
    assert r.code == 2 and "not a sampled station" in r.err
    # incomplete sheet
    del sheet["scores"]["5"]
    path.write_text(json.dumps(sheet), encoding="utf-8")
    r = cli("county", "rescore", e.unit, str(e.station_id), "--from", str(path), "--reviewer", "王")
    assert r.code == 2 and "item 5" in r.err
    # a partial score under this campaign
    sheet["scores"]["5"] = 0.5
    path.write_text(json.dumps(sheet), encoding="utf-8")
    r = cli("county", "rescore", e.unit, str(e.station_id), "--from", str(path), "--reviewer", "王")
    assert r.code == 2 and "partial" in r.err
    with open_county(county_home) as store:
        assert store.conn.execute("SELECT count(*) FROM rescores").fetchone()[0] == 0


def test_rescore_refused_when_the_rubric_differs(county_home: Path, campaign) -> None:
    """The county re-scores only under the township's rubric."""
    import dataclasses

    from fieldtui.county.workbook import check_rubric

    other = dataclasses.replace(campaign, rubric_hash="f" * 64)
    with open_county(county_home) as store:
        b = next(iter(reviews.period_batches(store, campaign, "2023Q2").values()))
        pop = reviews.populations(store, campaign, "2023Q2")[0]
        entry = reviews.Entry(1, 0, pop.unit, b.batch_id, pop.stations[0].station_id,
                              pop.stations[0].name, None, None)  # fmt: skip
        check_rubric(store, campaign, entry)
        with pytest.raises(ReviewError, match="rubric"):
            check_rubric(store, other, entry)


def test_verdicts_are_append_only_and_checked(cli, county_home: Path) -> None:
    with open_county(county_home) as store:
        b = store.batches()[0]
        names = reviews.batch_station_names(store, b.batch_id)
    sid, name = next(iter(names.items()))
    r = cli("county", "verdict", b.batch_id, "returned", "--reviewer", "王审")
    assert r.code == 2 and "reason" in r.err
    r = cli("county", "verdict", b.batch_id, "returned", "--reason", "x", "--stations", "无此站",
            "--reviewer", "王审")  # fmt: skip
    assert r.code == 2 and "无此站" in r.err
    r = cli("county", "verdict", b.batch_id[:5], "accepted", "--reviewer", "王审")
    assert r.code == 2 and "8" in r.err
    first = cli("county", "verdict", b.batch_id[:8], "returned", "--reason", "第6项复核不符",
                "--stations", str(sid), name, "--reviewer", "王审", "--json").json()  # fmt: skip
    v1 = first["verdict"]
    assert v1["verdict"] == "returned" and v1["stations"] == [{"id": sid, "name": name}]
    assert v1["supersedes"] is None and v1["reviewer"] == "王审" and v1["decided_at"]
    second = cli("county", "verdict", b.batch_id, "accepted_with_corrections", "--reason",
                 "已电话核实", "--reviewer", "李审", "--json").json()["verdict"]  # fmt: skip
    assert second["supersedes"] == v1["id"]
    with open_county(county_home) as store:
        hist = reviews.verdicts(store, b.batch_id)
        assert [v["verdict"] for v in hist] == ["returned", "accepted_with_corrections"]
        for sql in ("UPDATE verdicts SET verdict = 'accepted'", "DELETE FROM verdicts"):
            with pytest.raises(sqlite3.IntegrityError):
                store.conn.execute(sql)
    shown = cli("county", "review", "show", b.batch_id, "--json").json()
    REVIEW_SCHEMA.validate(shown)
    assert shown["status"] == "accepted_with_corrections" and len(shown["history"]) == 2


def test_text_that_is_not_unicode_is_refused_for_verdicts_and_rescores(
    cli, county_home: Path, tmp_path: Path
) -> None:
    """A command-line argument that is not valid UTF-8 reaches Python as lone surrogates (and a
    score sheet may hold a "\\udc00" escape): SQLite cannot store them. Refused, named, nothing
    stored; no traceback."""
    with open_county(county_home) as store:
        b = store.batches()[0]
    for option, value in (("--reason", "理由\udcff"), ("--reviewer", "王\udce4")):
        args = {"--reason": "x", "--reviewer": "王审", option: value}
        r = cli(
            "county", "verdict", b.batch_id, "returned", *[a for kv in args.items() for a in kv]
        )
        assert r.code == 2 and option in r.err and "Unicode" in r.err, r.err
        assert "Traceback" not in r.err
    sheet = tmp_path / "sheet.json"
    sheet.write_text('{"scores": {}, "notes": {"3": "\\udc00"}}', encoding="utf-8")
    r = cli("county", "rescore", b.unit, "1", "--from", str(sheet), "--reviewer", "王审")
    assert r.code == 2 and "notes.3" in r.err and "surrogate" in r.err, r.err
    with open_county(county_home) as store:
        assert reviews.verdicts(store, b.batch_id) == []


def test_a_superseded_batch_takes_no_verdict(tmp_path: Path, factory: BatchFactory, capsys) -> None:
    from fieldtui.campaigns import load_all
    from fieldtui.cli import main
    from fieldtui.county.intake import submit

    home = tmp_path / "c"
    first = county_with_batches(home, factory, ["丰收镇"])["丰收镇"]
    fix = factory.seal(
        "丰收镇", supersedes=first.batch_id, change=lambda c: c.update(officer="李四")
    )
    with open_county(home) as store:
        submit(store, load_all(home), fix.body, source="import")
    code = main(["--home", str(home), "county", "verdict", first.batch_id, "accepted",
                 "--reviewer", "王"])  # fmt: skip
    assert code == 2 and fix.batch_id in capsys.readouterr().err
    assert main(["--home", str(home), "county", "verdict", fix.batch_id, "accepted",
                 "--reviewer", "王"]) == 0  # fmt: skip


def test_review_file_is_signed_for_the_townships_token(cli, county_home: Path, tmp_path) -> None:
    from fieldtui.county.auth import token_hash
    from fieldtui.domain.review import read_reviews_file
    from tests.support.county_server import register_tokens

    tokens = register_tokens(county_home, ["丰收镇"])
    out = cli("county", "review", "export", "丰收镇", "长乐镇", "--out", str(tmp_path / "o"),
              "--json").json()  # fmt: skip
    files = {f["unit"]: f for f in out["files"]}
    assert files["丰收镇"]["signed"] is True and files["长乐镇"]["signed"] is False
    body = Path(files["丰收镇"]["file"]).read_bytes()
    REVIEWS_FILE_SCHEMA.validate(json.loads(body))
    got = read_reviews_file(body, "f.json", "丰收镇", token_hash(tokens["丰收镇"]))
    assert got.signed and len(got.reviews) == 1
    with pytest.raises(ReviewError, match="not for 长乐镇"):
        read_reviews_file(body, "f.json", "长乐镇", None)
    with pytest.raises(ReviewError, match="signature"):
        read_reviews_file(body, "f.json", "丰收镇", token_hash("x" * 43))
    one_byte = body.replace(b"pending", b"pendinh", 1)
    with pytest.raises(ReviewError):
        read_reviews_file(one_byte, "f.json", "丰收镇", None)
    text = json.loads(body)
    text["reviews"][0]["status"] = "accepted"
    with pytest.raises(ReviewError, match="SHA-256"):
        read_reviews_file(json.dumps(text).encode(), "f.json", "丰收镇", None)


def _doc_examples() -> dict[frozenset[str], dict[str, Any]]:
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split("## county", 1)[1]
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", section, re.S)]
    return {frozenset(b): b for b in blocks}


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def test_docs_cli_md_shows_the_real_json_shapes(cli, county_home: Path, tmp_path, campaign) -> None:
    """Every --json of the review commands has its shape documented in docs/cli.md."""
    docs = _doc_examples()
    s = cli("county", "sample", "--quarter", "2023Q2", "--count", "1", "--seed", "5",
            "--reviewer", "王审", "--json").json()  # fmt: skip
    e, visit = _first_entry(county_home, s["sample"]["id"])
    sheet, _ = failing_sheet(campaign, visit)
    sheet["notes"] = {"6": "专职人员未到岗"}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(sheet, ensure_ascii=False), encoding="utf-8")
    rescore = cli("county", "rescore", e.unit, str(e.station_id), "--from", str(path),
                  "--reviewer", "王审", "--json").json()  # fmt: skip
    cli("county", "verdict", e.batch_id, "returned", "--reason", "复核", "--stations",
        str(e.station_id), "--reviewer", "王审")  # fmt: skip
    verdict = cli("county", "verdict", e.batch_id, "returned", "--reason", "不达标",
                  "--stations", str(e.station_id), "--reviewer", "王审", "--json").json()  # fmt: skip
    outputs = [
        s,
        cli("county", "verify-sample", "1", "--json").json(),
        cli("county", "worklist", "--json").json(),
        rescore,
        verdict,
        cli("county", "review", "show", e.batch_id, "--json").json(),
        cli("county", "review", "export", "--out", str(tmp_path / "o"), "--json").json(),
    ]
    for got in outputs:
        doc = docs.get(frozenset(got))
        assert doc is not None, f"no example in docs/cli.md with keys {sorted(got)}"
        if got is outputs[2]:  # the work list: compare the entry with a re-score
            got = {**got, "entries": [x for x in got["entries"] if x["rescore"]]}
        if got is outputs[5]:  # the review: the spot check that was re-scored
            got = {**got, "spot_checks": [x for x in got["spot_checks"] if x["county"]]}
        assert _shape(doc) == _shape(got), sorted(got)


def test_a_rescore_belongs_to_the_draw_it_was_opened_from(
    cli, county_home: Path, tmp_path: Path, factory: BatchFactory
) -> None:
    """The same station sampled in Q2 and again in Q3: each county visit is linked to the draw
    (and so the township batch) it was made for, not simply to the newest draw."""
    from fieldtui.campaigns import load_all
    from fieldtui.county.intake import submit

    with open_county(county_home) as store:
        submit(store, load_all(county_home), factory.seal("丰收镇", "2023Q3").body, source="import")
    q2 = _sample(cli, "--count", "30", "--seed", "a")
    q3 = cli("county", "sample", "--quarter", "2023Q3", "--count", "30", "--seed", "b",
             "--reviewer", "王审", "--json").json()["sample"]  # fmt: skip
    with open_county(county_home) as store:
        e2 = next(e for e in reviews.entries(store, q2["id"]) if e.unit == "丰收镇")
        e3 = next(e for e in reviews.entries(store, q3["id"]) if e.station_id == e2.station_id)
        visit = reviews.township_visit(store, e2.batch_id, e2.station_id)
    path = tmp_path / "same.json"
    path.write_text(json.dumps(sheet_of(visit)), encoding="utf-8")
    for quarter, entry in (("2023Q2", e2), ("2023Q3", e3)):
        out = cli("county", "rescore", "丰收镇", str(e2.station_id), "--from", str(path),
                  "--quarter", quarter, "--reviewer", "王审", "--json").json()  # fmt: skip
        assert (out["sample_id"], out["batch_id"]) == (entry.sample_id, entry.batch_id)
    assert e2.batch_id != e3.batch_id
