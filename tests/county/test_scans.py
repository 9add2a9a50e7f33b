"""The scan of the stamped pages over the county endpoint: ``PUT /api/v1/batches/{id}/files/{name}``
against a real ``fieldtui county serve`` (uvicorn on 127.0.0.1): receipts, idempotency, every
refusal, and the bytes kept exactly."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from fieldtui.county.openapi import ERROR_CODES
from fieldtui.domain.batch import (
    API_PATH,
    ERROR_SCHEMA,
    FILE_LIST_SCHEMA,
    FILE_RECEIPT_SCHEMA,
    content_digest_header,
    sha256_hex,
)
from fieldtui.domain.submission import SCAN_MAX_BYTES
from tests.support.batches import BatchFactory
from tests.support.county_server import CountyServer

A, B = "丰收镇", "长乐镇"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500


def _url(srv: CountyServer, batch_id: str, name: str = "") -> str:
    return f"{srv.url}{API_PATH}/{batch_id}/files" + (f"/{name}" if name else "")


def _headers(token: str, data: bytes) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Digest": content_digest_header(data),
        "Content-Type": "application/pdf",
    }


def _push(client: httpx.Client, srv: CountyServer, factory: BatchFactory, unit: str = A) -> str:
    b = factory.seal(unit)
    r = client.post(srv.url + API_PATH, content=b.body, headers=b.headers(srv.tokens[unit]))
    assert r.status_code == 201, r.text
    return b.batch_id


def _error(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    err = r.json()
    ERROR_SCHEMA.validate(err)
    assert err["error"] == code and code in ERROR_CODES
    return err


def _stored(srv: CountyServer, batch_id: str) -> list[tuple[str, bytes]]:
    from fieldtui.county.store import open_county

    with open_county(srv.home) as store:
        return [(f.name, store.file_data(f.id)) for f in store.files_of(batch_id)]


def test_a_scan_is_stored_byte_identical_and_answered_idempotently(county, client, factory):
    bid = _push(client, county, factory)
    tok = county.tokens[A]
    r = client.put(_url(county, bid, "盖章页.pdf"), content=PDF, headers=_headers(tok, PDF))
    assert r.status_code == 201, r.text
    receipt = r.json()
    FILE_RECEIPT_SCHEMA.validate(receipt)
    assert receipt["batch_id"] == bid and receipt["name"] == "盖章页.pdf"
    assert receipt["sha256"] == sha256_hex(PDF) and receipt["size"] == len(PDF)
    assert receipt["mime"] == "application/pdf" and receipt["duplicate"] is False
    # The same file again: the original receipt, nothing stored twice.
    again = client.put(_url(county, bid, "盖章页.pdf"), content=PDF, headers=_headers(tok, PDF))
    assert again.status_code == 200
    assert again.json() == {**receipt, "duplicate": True}
    # The same bytes under another name are the same file.
    other = client.put(_url(county, bid, "scan.pdf"), content=PDF, headers=_headers(tok, PDF))
    assert other.status_code == 200 and other.json()["name"] == "盖章页.pdf"
    # Another file with its own name is a second file.
    png = client.put(_url(county, bid, "page2.png"), content=PNG, headers=_headers(tok, PNG))
    assert png.status_code == 201 and png.json()["mime"] == "image/png"
    assert _stored(county, bid) == [("盖章页.pdf", PDF), ("page2.png", PNG)]
    listing = client.get(_url(county, bid), headers={"Authorization": f"Bearer {tok}"})
    assert listing.status_code == 200
    FILE_LIST_SCHEMA.validate(listing.json())
    assert [f["name"] for f in listing.json()["files"]] == ["盖章页.pdf", "page2.png"]
    assert listing.json()["files"][0] == receipt


def test_the_same_name_with_other_bytes_is_refused_and_keeps_the_first(county, client, factory):
    bid = _push(client, county, factory)
    tok = county.tokens[A]
    assert client.put(
        _url(county, bid, "s.pdf"), content=PDF, headers=_headers(tok, PDF)
    ).is_success
    changed = PDF + b"more"
    r = client.put(_url(county, bid, "s.pdf"), content=changed, headers=_headers(tok, changed))
    assert "s.pdf" in _error(r, 422, "conflicting_file")["message"]
    assert _stored(county, bid) == [("s.pdf", PDF)]


def test_names_differing_only_in_case_are_one_name(county, client, factory, tmp_path):
    """Scan.pdf and scan.pdf were two files of one batch: `county files --out` on Windows would
    write one over the other. Compared as Windows compares them, they are one name."""
    bid = _push(client, county, factory)
    tok = county.tokens[A]
    first = client.put(_url(county, bid, "Scan.pdf"), content=PDF, headers=_headers(tok, PDF))
    assert first.status_code == 201
    other = PDF + b"B"
    for name in ("scan.pdf", "SCAN.pdf", "sCaN.pdf"):
        r = client.put(_url(county, bid, name), content=other, headers=_headers(tok, other))
        err = _error(r, 422, "conflicting_file")
        assert "Scan.pdf" in err["message"] and name in err["message"]
    # The same bytes under the other case: the original receipt.
    again = client.put(_url(county, bid, "scan.pdf"), content=PDF, headers=_headers(tok, PDF))
    assert again.status_code == 200 and again.json() == {**first.json(), "duplicate": True}
    assert _stored(county, bid) == [("Scan.pdf", PDF)]


def test_files_out_never_writes_one_file_over_another(county, client, factory, tmp_path):
    """A database from before names were compared ignoring case may hold Scan.pdf and scan.pdf:
    both are written, the second under a name of its own."""
    from fieldtui.county.store import open_county

    bid = _push(client, county, factory)
    with open_county(county.home) as store, store._tx() as c:
        for i, (name, data) in enumerate((("Scan.pdf", PDF), ("scan.pdf", PDF + b"2"))):
            receipt = json.dumps({"name": name})
            c.execute(
                "INSERT INTO batch_files(batch_id, name, mime, size, sha256, data, source, "
                "received_at, receipt) VALUES (?,?,?,?,?,?,?,?,?)",
                (bid, name, "application/pdf", len(data), sha256_hex(data), data, "push",
                 f"2023-07-01T10:00:0{i}.000+08:00", receipt),
            )  # fmt: skip
    out = tmp_path / "out"
    got = json.loads(county.cli("county", "files", bid, "--out", str(out), "--json").stdout)
    assert [Path(w).name for w in got["written"]] == ["Scan.pdf", "scan_2.pdf"]
    assert sorted(p.name for p in out.iterdir()) == ["Scan.pdf", "scan_2.pdf"]
    assert (out / "Scan.pdf").read_bytes() == PDF
    assert (out / "scan_2.pdf").read_bytes() == PDF + b"2"


def test_tokens_units_and_batches_are_checked(county, client, factory):
    bid = _push(client, county, factory)
    good = _headers(county.tokens[A], PDF)
    bad = {**good, "Authorization": "Bearer " + "x" * 43}
    r = client.put(_url(county, bid, "s.pdf"), content=PDF, headers=bad)
    _error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    missing = {k: v for k, v in good.items() if k != "Authorization"}
    _error(client.put(_url(county, bid, "s.pdf"), content=PDF, headers=missing), 401,
           "unauthorized")  # fmt: skip
    other = _headers(county.tokens[B], PDF)
    _error(client.put(_url(county, bid, "s.pdf"), content=PDF, headers=other), 403, "forbidden")
    _error(client.get(_url(county, bid), headers={"Authorization": other["Authorization"]}),
           403, "forbidden")  # fmt: skip
    unknown = str(uuid.uuid4())
    _error(client.put(_url(county, unknown, "s.pdf"), content=PDF, headers=good), 404,
           "not_found")  # fmt: skip
    _error(client.put(_url(county, "not-a-uuid", "s.pdf"), content=PDF, headers=good), 404,
           "not_found")  # fmt: skip
    _error(client.get(_url(county, unknown), headers={"Authorization": good["Authorization"]}),
           404, "not_found")  # fmt: skip
    assert _stored(county, bid) == []


def test_unsafe_names_are_refused(county, client, factory):
    bid = _push(client, county, factory)
    good = _headers(county.tokens[A], PDF)
    for raw in ("%2E%2E", ".hidden.pdf", "a%5Cb.pdf", "CON.pdf", "x%00.pdf", "scan.PDF",
                "a..b.pdf", "%E2%80%AEfdp.exe", "x" * 130 + ".pdf", "a%3Ab.pdf"):  # fmt: skip
        url = f"{county.url}{API_PATH}/{bid}/files/{raw}"
        r = client.send(client.build_request("PUT", url, content=PDF, headers=good))
        _error(r, 422, "invalid_name")
    # A separator never reaches the handler as a name: the route does not match.
    r = client.put(f"{county.url}{API_PATH}/{bid}/files/a%2Fb.pdf", content=PDF, headers=good)
    assert r.status_code in (404, 405)
    assert _stored(county, bid) == []


def test_a_name_whose_bytes_are_no_text_is_refused(county, client, factory):
    """Percent-encoded bytes that are not UTF-8 (a lone surrogate's bytes, a stray 0xFF) were
    decoded to U+FFFD and stored under a name the township never sent."""
    bid = _push(client, county, factory)
    good = _headers(county.tokens[A], PDF)
    for raw in ("%ED%A0%80.pdf", "a%FFb.pdf", "%E7%9B.pdf"):
        url = f"{county.url}{API_PATH}/{bid}/files/{raw}"
        r = client.send(client.build_request("PUT", url, content=PDF, headers=good))
        assert "UTF-8" in _error(r, 422, "invalid_name")["message"]
    ok = client.put(_url(county, bid, "盖章页.pdf"), content=PDF, headers=good)  # %-encoded
    assert ok.status_code == 201 and ok.json()["name"] == "盖章页.pdf"
    assert _stored(county, bid) == [("盖章页.pdf", PDF)]


JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 300


def test_the_name_must_agree_with_the_content(county, client, factory, tmp_path):
    """A PDF called scan.bat (or .hta, a PNG called .svg) was stored, and `county files --out`
    wrote scan.bat. The extension must say what the first bytes are: .pdf, .png, .jpg/.jpeg."""
    bid = _push(client, county, factory)
    tok = county.tokens[A]
    bat = b"%PDF-1.4\r\necho pwned > %TEMP%\\x.txt\r\n"
    for name, data in (("scan.bat", bat), ("scan.hta", PDF), ("scan.svg", PNG), ("scan", PDF)):
        r = client.put(_url(county, bid, name), content=data, headers=_headers(tok, data))
        err = _error(r, 415, "not_a_scan")
        assert name.rpartition(".")[2] in err["message"] and ".jpeg" in err["message"]
    # A scan's extension, but another scan type: judged once the bytes are in.
    for name, data, kind in (("page.png", PDF, "PDF"), ("page.jpg", PNG, "PNG"),
                             ("page.pdf", JPG, "JPEG"), ("page.jpeg", PDF, "PDF")):  # fmt: skip
        r = client.put(_url(county, bid, name), content=data, headers=_headers(tok, data))
        err = _error(r, 415, "not_a_scan")
        assert kind in err["message"] and "." + name.rsplit(".", 1)[1] in err["message"]
    assert _stored(county, bid) == []
    for name, data in (("扫描件.pdf", PDF), ("p2.png", PNG), ("p3.jpg", JPG),
                       ("p4.jpeg", JPG + b"4")):  # fmt: skip
        r = client.put(_url(county, bid, name), content=data, headers=_headers(tok, data))
        assert r.status_code == 201, (name, r.text)
    out = tmp_path / "out"
    county.cli("county", "files", bid, "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["p2.png", "p3.jpg", "p4.jpeg", "扫描件.pdf"]


def test_files_out_gives_an_old_mislabelled_file_its_contents_extension(county, client, factory,
                                                                        tmp_path):  # fmt: skip
    """A file stored before the check (a PDF named scan.bat) is written as scan.bat.pdf."""
    from fieldtui.county.store import open_county

    bid = _push(client, county, factory)
    with open_county(county.home) as store:
        store.store_file(bid, "scan.bat", "application/pdf", PDF, sha256_hex(PDF), source="push",
                         token_id=None, received_at="2023-07-01T10:00:00.000+08:00")  # fmt: skip
    out = tmp_path / "out"
    county.cli("county", "files", bid, "--out", str(out))
    assert [p.name for p in out.iterdir()] == ["scan.bat.pdf"]
    assert (out / "scan.bat.pdf").read_bytes() == PDF


def test_content_digest_and_size_are_checked(county, client, factory):
    bid = _push(client, county, factory)
    tok = county.tokens[A]
    text = b"just some text, not a scan"
    _error(client.put(_url(county, bid, "s.pdf"), content=text, headers=_headers(tok, text)),
           415, "not_a_scan")  # fmt: skip
    html = b"<html>%PDF-" + PDF
    _error(client.put(_url(county, bid, "s.pdf"), content=html, headers=_headers(tok, html)),
           415, "not_a_scan")  # fmt: skip
    # Cut short or changed on the way: the digest no longer matches.
    _error(client.put(_url(county, bid, "s.pdf"), content=PDF[:-10], headers=_headers(tok, PDF)),
           422, "digest_mismatch")  # fmt: skip
    nodigest = {k: v for k, v in _headers(tok, PDF).items() if k != "Content-Digest"}
    _error(client.put(_url(county, bid, "s.pdf"), content=PDF, headers=nodigest), 422,
           "invalid_header")  # fmt: skip
    big = b"%PDF-" + b"\x00" * (SCAN_MAX_BYTES - 4)
    _error(client.put(_url(county, bid, "big.pdf"), content=big, headers=_headers(tok, big)),
           413, "too_large")  # fmt: skip

    def stream():  # no Content-Length: chunked, cut off by the server at the limit
        yield b"%PDF-"
        for _ in range(SCAN_MAX_BYTES // (1 << 20) + 2):
            yield b"\x00" * (1 << 20)

    r = client.put(_url(county, bid, "big.pdf"), content=stream(), headers=_headers(tok, big))
    _error(r, 413, "too_large")
    # Exactly at the limit is fine.
    limit = b"%PDF-" + b"\x00" * (SCAN_MAX_BYTES - 5)
    ok = client.put(_url(county, bid, "limit.pdf"), content=limit, headers=_headers(tok, limit))
    assert ok.status_code == 201, ok.text
    assert [n for n, _ in _stored(county, bid)] == ["limit.pdf"]
