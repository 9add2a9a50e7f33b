"""End-to-end: a real ``fieldtui county serve`` (uvicorn on 127.0.0.1, ephemeral port), pushed to
with httpx as the township client does: receipts, dedup, authentication, validation, limits."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json

import httpx

from fieldtui.domain.batch import API_PATH, ERROR_SCHEMA, RECEIPT_SCHEMA, sha256_hex
from fieldtui.domain.rubric import CHINA_TZ
from tests.support.batches import BatchFactory, push_headers
from tests.support.county_server import CountyServer

A, B = "丰收镇", "长乐镇"


def _post(
    client: httpx.Client, srv: CountyServer, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return client.post(srv.url + API_PATH, content=body, headers=headers)


def _error(r: httpx.Response) -> dict:
    data = r.json()
    ERROR_SCHEMA.validate(data)
    return data


def test_push_stores_and_answers_with_a_receipt(county, client, factory: BatchFactory) -> None:
    b = factory.seal(A)
    before = dt.datetime.now(CHINA_TZ)
    r = _post(client, county, b.body, b.headers(county.tokens[A]))
    assert r.status_code == 201, r.text
    receipt = r.json()
    RECEIPT_SCHEMA.validate(receipt)
    assert receipt["batch_id"] == b.batch_id
    assert receipt["digest"] == sha256_hex(b.body)
    assert receipt["unit"] == A and receipt["period"] == "2023Q2"
    assert receipt["campaign_id"] == factory.campaign.id
    assert receipt["duplicate"] is False and receipt["supersedes"] is None
    received = dt.datetime.fromisoformat(receipt["received_at"])
    assert received.utcoffset() == dt.timedelta(hours=8)
    assert before - dt.timedelta(seconds=1) <= received <= dt.datetime.now(CHINA_TZ)
    # The exact bytes are stored.
    from fieldtui.county.store import open_county

    with open_county(county.home) as store:
        assert store.body(b.batch_id) == b.body
        assert store.find(b.batch_id).digest == sha256_hex(b.body)


def test_sending_twice_keeps_one_batch_and_returns_the_original_receipt(
    county, client, factory
) -> None:
    b = factory.seal(A)
    first = _post(client, county, b.body, b.headers(county.tokens[A]))
    second = _post(client, county, b.body, b.headers(county.tokens[A]))
    assert first.status_code == 201 and second.status_code == 200
    assert second.json() == {**first.json(), "duplicate": True}
    assert county.copies() == {b.batch_id: 1}


def test_wrong_missing_malformed_and_non_ascii_tokens_get_401(county, client, factory) -> None:
    b = factory.seal(A)
    good = b.headers(county.tokens[A])
    # One character off (a token that already ends in "A" would make "A" the right one).
    near = county.tokens[A][:-1] + ("B" if county.tokens[A].endswith("A") else "A")
    variants = {
        "missing": {k: v for k, v in good.items() if k != "Authorization"},
        "wrong": {**good, "Authorization": "Bearer " + "x" * 43},
        "revoked-looking": {**good, "Authorization": "Bearer " + near},
        "no scheme": {**good, "Authorization": county.tokens[A]},
        "basic": {**good, "Authorization": "Basic dXNlcjpwYXNz"},
        "empty bearer": {**good, "Authorization": "Bearer"},
        "too long": {**good, "Authorization": "Bearer " + "a" * 5000},
        "spaces": {**good, "Authorization": "Bearer a b c"},
    }
    for name, headers in variants.items():
        r = _post(client, county, b.body, headers)
        assert r.status_code == 401, (name, r.status_code, r.text)
        assert _error(r)["error"] == "unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"
    # Non-ASCII bytes in the header (httpx refuses to send str with them, so send raw bytes).
    for raw in (
        "Bearer 令牌令牌令牌令牌令牌令牌".encode(),
        b"Bearer \xff\xfeabcdefghijklmnopqrstuvwxyz",
        "Bearer ñ".encode("latin-1"),
        b"Bearer abc\x7fdefghijklmnopqrstu",
    ):
        headers = {**good}
        headers.pop("Authorization")
        r = client.post(
            county.url + API_PATH,
            content=b.body,
            headers=[*headers.items(), (b"Authorization", raw)],
        )
        assert r.status_code == 401, (raw, r.status_code)
    assert county.copies() == {}
    assert county.proc.poll() is None


def test_another_units_token_gets_403(county, client, factory) -> None:
    b = factory.seal(A)
    r = _post(client, county, b.body, b.headers(county.tokens[B]))
    assert r.status_code == 403
    err = _error(r)
    assert err["error"] == "wrong_unit" and A in err["message"] and B in err["message"]
    assert county.copies() == {}


def test_tampered_body_is_refused_by_the_digest(county, client, factory) -> None:
    b = factory.seal(A)
    tampered = b.body.replace(b'"passed":false', b'"passed":true', 1)
    assert tampered != b.body
    r = _post(client, county, tampered, b.headers(county.tokens[A]))  # digest of the original
    assert r.status_code == 422
    assert _error(r)["error"] == "digest_mismatch"
    # Tampered with a matching digest: the recomputed totals refuse it.
    r = _post(client, county, tampered, push_headers(tampered, county.tokens[A], b.batch_id))
    assert r.status_code == 422
    assert _error(r)["error"] == "invalid_batch"
    assert county.copies() == {}


def test_truncated_body_with_a_consistent_length_is_refused(county, client, factory) -> None:
    b = factory.seal(A)
    cut = b.body[: len(b.body) // 2]
    r = _post(client, county, cut, b.headers(county.tokens[A]))
    assert r.status_code == 422 and _error(r)["error"] == "digest_mismatch"
    assert county.copies() == {}


def test_same_id_with_another_body_gets_422(county, client, factory) -> None:
    b = factory.seal(A)
    assert _post(client, county, b.body, b.headers(county.tokens[A])).status_code == 201
    other = factory.seal(A, "2023Q3", batch_id=b.batch_id)
    r = _post(client, county, other.body, other.headers(county.tokens[A]))
    assert r.status_code == 422
    err = _error(r)
    assert err["error"] == "conflicting_batch" and b.batch_id in err["message"]
    assert county.copies() == {b.batch_id: 1}


def test_key_must_equal_the_batch_id(county, client, factory) -> None:
    b = factory.seal(A)
    other = factory.seal(A).batch_id
    r = _post(client, county, b.body, b.headers(county.tokens[A], key=other))
    assert r.status_code == 422 and _error(r)["error"] == "key_mismatch"
    for bad in ("", "not-a-uuid", b.batch_id.upper()):
        h = b.headers(county.tokens[A])
        h["Idempotency-Key"] = bad
        r = _post(client, county, b.body, h)
        assert r.status_code == 422 and _error(r)["path"] == "Idempotency-Key", bad


def test_missing_or_malformed_digest_header_gets_422(county, client, factory) -> None:
    b = factory.seal(A)
    for bad in (None, "", "sha-256=abc", "sha-512=:AAAA:", "sha-256=:!!!:"):
        h = b.headers(county.tokens[A])
        if bad is None:
            del h["Content-Digest"]
        else:
            h["Content-Digest"] = bad
        r = _post(client, county, b.body, h)
        assert r.status_code == 422 and _error(r)["path"] == "Content-Digest", bad


def test_mismatched_totals_get_422_naming_the_station_and_item(county, client, factory) -> None:
    def bump_total(c: dict) -> None:
        st = next(s for s in c["stations"] if s["visit_id"] is not None)
        v = next(v for v in c["visits"] if v["id"] == st["visit_id"])
        v["total"] = v["total"] + 5
        bump_total.station = st["name"]  # type: ignore[attr-defined]

    b = factory.seal(A, change=bump_total)
    r = _post(client, county, b.body, b.headers(county.tokens[A]))
    assert r.status_code == 422
    err = _error(r)
    assert err["error"] == "invalid_batch"
    assert bump_total.station in err["message"]  # type: ignore[attr-defined]
    assert err["path"].endswith(".total")

    def wrong_subtotal(c: dict) -> None:
        v = c["visits"][0]
        v["subtotals"][1] = v["subtotals"][1] - 1
        wrong_subtotal.station = next(
            s["name"] for s in c["stations"] if s["id"] == v["station_id"]
        )  # type: ignore[attr-defined]

    b = factory.seal(A, change=wrong_subtotal)
    r = _post(client, county, b.body, b.headers(county.tokens[A]))
    err = _error(r)
    assert r.status_code == 422 and err["path"] == "visits[0].subtotals[1]"
    assert wrong_subtotal.station in err["message"]  # type: ignore[attr-defined]
    assert "二" in err["message"]  # the category is named
    assert county.copies() == {}


def test_a_partial_score_under_this_campaign_gets_422(county, client, factory) -> None:
    campaign = factory.campaign
    item = next(it for it in campaign.items if it.max >= 1)

    def partial(c: dict) -> None:
        v = c["visits"][0]
        entry = next(e for e in v["items"] if e["n"] == item.number)
        entry["score"] = item.max / 2

    b = factory.seal(A, change=partial)
    r = _post(client, county, b.body, b.headers(county.tokens[A]))
    assert r.status_code == 422
    err = _error(r)
    assert err["path"].startswith("visits[0].items[") and err["path"].endswith("].score")
    assert "partial" in err["message"]
    assert county.copies() == {}


def test_hostile_payloads_get_422_never_5xx(county, client, factory) -> None:
    b = factory.seal(A)
    token = county.tokens[A]
    payload = json.loads(b.body)
    bodies = [
        b"",
        b"null",
        b"[]",
        b"{",
        b"\xff\xfe",
        b'{"batch_id": NaN}',
        b.body.replace(b'"schema"', b'"schema":1,"schema"', 1),  # duplicate key
        json.dumps({**payload, "extra": 1}).encode(),
        json.dumps({**payload, "unit": "x" * 10_000}).encode(),
        json.dumps({**payload, "stations": "many"}).encode(),
        json.dumps({**payload, "progress": {**payload["progress"], "rate": 1e308 * 10}}).encode(),
        b"[" * 100_000 + b"]" * 100_000,
    ]
    for body in bodies:
        r = _post(client, county, body, push_headers(body, token, b.batch_id))
        assert r.status_code in (403, 422), (body[:60], r.status_code, r.text)
    assert county.copies() == {}


def test_unpaired_surrogate_escapes_get_422_naming_the_place_never_5xx(
    county, client, factory
) -> None:
    """A valid batch re-serialised with ensure_ascii=True and a lone "\\ud800" in a string or a
    field name (digest correct): text that is not Unicode could be neither hashed nor stored, nor
    named in a message as it is. Refused as invalid, the place named; the server stays well."""
    b = factory.seal(A)

    def station_name(p: dict) -> None:
        p["stations"][0]["name"] = "青龙村\ud800站"

    def unit(p: dict) -> None:
        p["unit"] = "丰收\udfff镇"  # would have been named in the wrong_unit message

    def officer(p: dict) -> None:
        p["officer"] += "\udc00"

    def note(p: dict) -> None:
        p["visits"][0]["items"][2]["note"] = "\udbff"

    def field_name(p: dict) -> None:
        p["progress"]["x\ud800"] = 1

    cases = [
        (station_name, "$.stations[0].name"),
        (unit, "$.unit"),
        (officer, "$.officer"),
        (note, "$.visits[0].items[2].note"),
        (field_name, "$.progress.x\\ud800"),
    ]
    for change, where in cases:
        p = json.loads(b.body)
        change(p)
        body = json.dumps(p, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
        r = _post(client, county, body, push_headers(body, county.tokens[A], b.batch_id))
        assert r.status_code == 422, (where, r.status_code, r.text)
        err = _error(r)
        assert err["error"] == "invalid_batch" and err["path"] == where, err
        assert "surrogate" in err["message"]
    assert county.copies() == {}
    assert "Traceback" not in county.log() and " 500 " not in county.log()
    assert _post(client, county, b.body, b.headers(county.tokens[A])).status_code == 201


def test_error_bodies_render_whatever_text_they_carry() -> None:
    """The last guard: an error naming un-encodable text still renders (never a 500)."""
    from starlette.responses import JSONResponse

    from fieldtui.county.intake import Rejection

    rej = Rejection(403, "wrong_unit", "the batch is for 丰收\ud800镇", "unit\udfff")
    rendered = JSONResponse(rej.body(), status_code=rej.status).body
    assert json.loads(rendered) == {
        "error": "wrong_unit", "message": "the batch is for 丰收\\ud800镇", "path": "unit\\udfff"
    }  # fmt: skip


def test_wrong_content_type_gets_415(county, client, factory) -> None:
    b = factory.seal(A)
    for ctype in ("text/plain", "application/x-www-form-urlencoded", ""):
        h = b.headers(county.tokens[A])
        h["Content-Type"] = ctype
        r = _post(client, county, b.body, h)
        assert r.status_code == 415, ctype
    # A compressed body is not read as JSON at all (no gzip bomb gets unpacked): 415, named.
    import gzip

    h = b.headers(county.tokens[A])
    h["Content-Encoding"] = "gzip"
    r = _post(client, county, gzip.compress(b.body), h)
    assert r.status_code == 415 and "Content-Encoding" in r.json()["message"]
    h = b.headers(county.tokens[A])
    h["Content-Type"] = "application/json; charset=utf-8"
    assert _post(client, county, b.body, h).status_code == 201


def test_twenty_identical_submissions_at_once_store_one_batch(county, factory) -> None:
    b = factory.seal(A)
    headers = b.headers(county.tokens[A])

    def send(_: int) -> tuple[int, dict]:
        with httpx.Client(trust_env=False, timeout=30) as c:
            r = c.post(county.url + API_PATH, content=b.body, headers=headers)
            return r.status_code, r.json()

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(send, range(20)))
    codes = [code for code, _ in results]
    assert codes.count(201) == 1, codes
    assert set(codes) <= {200, 201, 409}, codes
    original = next(body for code, body in results if code == 201)
    for code, body in results:
        if code == 200:
            assert body == {**original, "duplicate": True}
    assert county.copies() == {b.batch_id: 1}


def test_superseding_batch_is_stored_with_its_predecessor(county, client, factory) -> None:
    first = factory.seal(A)
    second = factory.seal(A, supersedes=first.batch_id, change=lambda c: c.update(officer="李四"))
    for b in (first, second):
        assert _post(client, county, b.body, b.headers(county.tokens[A])).status_code == 201
    r = _post(client, county, second.body, second.headers(county.tokens[A]))
    assert r.json()["supersedes"] == first.batch_id
    assert county.copies() == {first.batch_id: 1, second.batch_id: 1}


def test_a_batch_superseding_itself_is_refused(county, client, factory) -> None:
    """It was stored and then vanished from "newest" (the batch it supersedes is out)."""
    bid = "0c0ffee0-0000-4000-8000-00000000a001"
    b = factory.seal(A, batch_id=bid, supersedes=bid)
    r = _post(client, county, b.body, b.headers(county.tokens[A]))
    assert r.status_code == 422, r.text
    err = _error(r)
    assert err["error"] == "invalid_batch" and err["path"] == "supersedes"
    assert "itself" in err["message"]
    assert county.copies() == {}


def test_a_seal_time_more_than_a_day_ahead_is_refused_an_old_one_is_not(
    county, client, factory
) -> None:
    """A batch sealed in 9999 stayed "newest" over every later one. More than 24 hours after the
    county's receive time is refused, naming sealed_at and the township's clock; late batches
    (an old seal time, a clock reset to 2000) are legitimate."""
    now = dt.datetime.now(CHINA_TZ)
    for ahead in (dt.datetime(9999, 12, 31, tzinfo=CHINA_TZ), now + dt.timedelta(hours=25)):
        b = factory.seal(A, sealed_at=ahead)
        r = _post(client, county, b.body, b.headers(county.tokens[A]))
        assert r.status_code == 422, r.text
        err = _error(r)
        assert err["error"] == "invalid_batch" and err["path"] == "sealed_at"
        assert "clock looks wrong" in err["message"] and ahead.isoformat()[:10] in err["message"]
    assert county.copies() == {}
    stored = []
    for when in (now + dt.timedelta(hours=23), dt.datetime(2000, 1, 1, tzinfo=CHINA_TZ)):
        b = factory.seal(A, sealed_at=when)
        r = _post(client, county, b.body, b.headers(county.tokens[A]))
        assert r.status_code == 201, r.text
        stored.append(b.batch_id)
    assert county.copies() == dict.fromkeys(stored, 1)


def test_health_and_unknown_routes(county, client) -> None:
    assert client.get(county.url + "/api/v1/health").json() == {"status": "ok"}
    assert client.get(county.url + "/nothing").status_code == 404
    assert client.get(county.url + API_PATH).status_code == 405


def test_a_busy_database_gets_503_and_the_retry_succeeds(county, client, factory) -> None:
    """Another writer (a long `county import`) holds the database past the busy timeout."""
    import sqlite3

    from fieldtui.county.store import DB_NAME

    b = factory.seal(A)
    holder = sqlite3.connect(county.home / DB_NAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        r = _post(client, county, b.body, b.headers(county.tokens[A]))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 503 and _error(r)["error"] == "unavailable"
    assert r.headers["retry-after"] == "5"
    assert _post(client, county, b.body, b.headers(county.tokens[A])).status_code == 201
    assert county.copies() == {b.batch_id: 1}


def test_request_log_cannot_be_forged_through_field_names(county, client, factory) -> None:
    b = factory.seal(A)
    body = json.dumps({"batch_id": b.batch_id, "x\nFORGED line": 1}).encode()
    r = _post(client, county, body, push_headers(body, county.tokens[A], b.batch_id))
    assert r.status_code == 422 and "\n" in r.json()["path"]
    county.stop()
    lines = county.log().splitlines()
    assert not any(line.startswith("FORGED") for line in lines)
    assert any("\\x0aFORGED" in line for line in lines)
