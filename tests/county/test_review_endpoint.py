"""``GET /api/v1/batches/{id}/review`` on a real county server: a township reads its own
batches' verdicts and spot-check results, and nothing of another township's."""

from __future__ import annotations

import json
import uuid

from fieldtui.domain.batch import API_PATH, ERROR_SCHEMA
from fieldtui.domain.review import REVIEW_SCHEMA
from tests.support.batches import BatchFactory
from tests.support.county_server import CountyServer
from tests.support.review import failing_sheet

A, B = "丰收镇", "长乐镇"


def _push(client, county: CountyServer, factory: BatchFactory, unit: str) -> str:
    b = factory.seal(unit)
    r = client.post(county.url + API_PATH, content=b.body, headers=b.headers(county.tokens[unit]))
    assert r.status_code == 201, r.text
    return b.batch_id


def _get(client, county: CountyServer, batch_id: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get(f"{county.url}{API_PATH}/{batch_id}/review", headers=headers)


def test_a_township_reads_only_its_own_reviews(county, client, factory, tmp_path, campaign) -> None:
    a = _push(client, county, factory, A)
    b = _push(client, county, factory, B)

    # Before any review: pending, no spot checks.
    r = _get(client, county, a, county.tokens[A])
    assert r.status_code == 200, r.text
    doc = r.json()
    REVIEW_SCHEMA.validate(doc)
    assert (doc["batch_id"], doc["unit"], doc["status"]) == (a, A, "pending")
    assert doc["verdict"] is None and doc["spot_checks"] == [] and doc["superseded_by"] is None

    # The county samples, re-scores one of A's stations lower, and returns A's batch.
    s = json.loads(county.cli("county", "sample", "--quarter", "2023Q2", "--count", "1",
                              "--seed", "9", "--reviewer", "王审", "--json").stdout)["sample"]  # fmt: skip
    picked = next(t for t in s["townships"] if t["unit"] == A)["stations"][0]
    from fieldtui.county import reviews
    from fieldtui.county.store import open_county

    with open_county(county.home) as store:
        visit = reviews.township_visit(store, a, picked["station_id"])
    sheet, lowered = failing_sheet(campaign, visit)
    path = tmp_path / "sheet.json"
    path.write_text(json.dumps(sheet), encoding="utf-8")
    county.cli("county", "rescore", A, str(picked["station_id"]), "--from", str(path),
               "--reviewer", "王审")  # fmt: skip
    county.cli("county", "verdict", a, "returned", "--reason", "抽查复核不达标",
               "--stations", str(picked["station_id"]), "--reviewer", "王审")  # fmt: skip

    doc = _get(client, county, a, county.tokens[A]).json()
    REVIEW_SCHEMA.validate(doc)
    assert doc["status"] == "returned"
    assert doc["verdict"]["reason"] == "抽查复核不达标"
    assert doc["verdict"]["stations"] == [{"id": picked["station_id"], "name": picked["name"]}]
    (sc,) = doc["spot_checks"]
    assert sc["station_id"] == picked["station_id"] and sc["township_passed"] is True
    assert sc["county"]["passed"] is False and sc["verdict_changed"] is True
    assert [d["n"] for d in sc["differences"]] == lowered

    # B's token: 403 for A's batch (and nothing of it in the answer); its own batch is fine.
    r = _get(client, county, a, county.tokens[B])
    assert r.status_code == 403
    err = r.json()
    ERROR_SCHEMA.validate(err)
    assert err["error"] == "forbidden" and "抽查" not in r.text and a not in err["message"]
    own = _get(client, county, b, county.tokens[B])
    assert own.status_code == 200 and own.json()["unit"] == B
    assert own.json()["spot_checks"] and own.json()["status"] == "pending"

    # Unknown or malformed ids: 404. No or bad token: 401 (before anything else).
    for bid in (str(uuid.uuid4()), "not-a-uuid", a.upper()):
        r = _get(client, county, bid, county.tokens[A])
        assert r.status_code == 404, (bid, r.status_code)
        assert r.json()["error"] == "not_found"
    for token in (None, "x" * 43, county.tokens[A][:-2]):
        r = _get(client, county, a, token)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    # A revoked token reads nothing any more.
    county.cli("county", "token", "revoke", A)
    assert _get(client, county, a, county.tokens[A]).status_code == 401
    assert "Bearer" not in county.log() and county.tokens[A] not in county.log()
