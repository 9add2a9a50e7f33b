"""The stamped scan goes to the county with the push: ``fieldtui batch attach`` then ``fieldtui
send`` against a real ``fieldtui county serve``, directly and through the loopback fault proxy.
Then the county's side: import of the exported zip and .eml, ``county report``, ``county files``."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldtui.domain.batch import sha256_hex
from fieldtui.sync.client import PushConfig, send_pending
from tests.support.county_server import CountyServer, fieldtui, start_county
from tests.support.fault_proxy import Fault, FaultProxy
from tests.sync.helpers import UNIT

OTHER = "三合镇"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
JPG = b"\xff\xd8\xff\xe0" + bytes(reversed(range(256))) * 16


@pytest.fixture
def real_county(tmp_path: Path) -> Iterator[CountyServer]:
    with start_county(tmp_path / "county", units=[UNIT, OTHER]) as srv:
        yield srv


def _configure(home: Path, url: str, token: str) -> None:
    fieldtui(home, "config", "set", "endpoint", url)
    fieldtui(home, "config", "set", "token", token)


def send(home: Path, *args: str) -> tuple[int, dict]:
    r = fieldtui(home, "send", "--json", *args, check=False)
    return r.returncode, json.loads(r.stdout)


def county_files(srv: CountyServer) -> dict[str, list[tuple[str, bytes]]]:
    """Every file the county holds, per batch: (name, bytes)."""
    from fieldtui.county.store import open_county

    with open_county(srv.home) as store:
        rows = store.conn.execute("SELECT DISTINCT batch_id FROM batch_files").fetchall()
        return {r[0]: [(f.name, store.file_data(f.id)) for f in store.files_of(r[0])] for r in rows}


def _scan(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_attach_send_resend_and_attach_after_the_ack(
    home, settings, township, real_county, tmp_path
) -> None:
    _configure(home, real_county.url, real_county.tokens[UNIT])
    fieldtui(home, "batch", "seal", "--quarter", "2023Q2")
    fieldtui(home, "batch", "attach", "2023Q2", str(_scan(tmp_path, "盖章页.pdf", PDF)))
    code, rep = send(home)
    assert code == 0, rep
    (b,) = rep["batches"]
    bid = b["batch_id"]
    assert b["status"] == "acknowledged"
    assert [(f["name"], f["status"], f["http_status"]) for f in b["files"]] == [
        ("盖章页.pdf", "acknowledged", 201)
    ]
    assert rep["files_acknowledged"] == 1
    assert county_files(real_county) == {bid: [("盖章页.pdf", PDF)]}
    listed = json.loads(fieldtui(home, "batch", "list", "--json").stdout)["batches"]
    assert listed[0]["scan_state"] == "received" and listed[0]["in_outbox"] is False
    assert listed[0]["files"][0]["acknowledged_at"]
    # Sending again sends nothing: the file is recorded as acknowledged.
    code, rep = send(home)
    assert code == 0 and rep["sent"] == 0
    assert real_county.copies() == {bid: 1}
    # A second scan attached after the batch was acknowledged: in the outbox, sent next time.
    fieldtui(home, "batch", "attach", "2023Q2", str(_scan(tmp_path, "第二页.jpg", JPG)))
    listed = json.loads(fieldtui(home, "batch", "list", "--json").stdout)["batches"]
    assert listed[0]["scan_state"] == "unsent" and listed[0]["in_outbox"] is True
    text = fieldtui(home, "--lang", "en", "batch", "list").stdout
    assert "scan not sent" in text and "第二页.jpg" in text
    code, rep = send(home)
    assert code == 0, rep
    (b,) = rep["batches"]
    assert b["batch_id"] == bid and [f["name"] for f in b["files"]] == ["第二页.jpg"]
    assert county_files(real_county) == {bid: [("盖章页.pdf", PDF), ("第二页.jpg", JPG)]}
    assert real_county.copies() == {bid: 1}
    text = fieldtui(home, "--lang", "zh", "batch", "list").stdout
    assert "扫描件县级已接收" in text
    code, rep = send(home)
    assert code == 0 and rep["sent"] == 0


def test_a_refused_scan_is_shown_with_the_servers_message_and_not_retried(
    home, settings, township, real_county, tmp_path, store
) -> None:
    """Another scan with the same name already at the county (put there by hand): 422, shown,
    the batch stays acknowledged and the file unsent."""
    import httpx

    from fieldtui.domain.batch import content_digest_header

    _configure(home, real_county.url, real_county.tokens[UNIT])
    code, rep = send(home, "--quarter", "2023Q2")
    assert code == 0
    bid = rep["batches"][0]["batch_id"]
    other = PDF + b"another scan"
    r = httpx.put(
        f"{real_county.url}/api/v1/batches/{bid}/files/scan.pdf",
        content=other,
        headers={"Authorization": f"Bearer {real_county.tokens[UNIT]}",
                 "Content-Digest": content_digest_header(other)},
        trust_env=False,
    )  # fmt: skip
    assert r.status_code == 201
    fieldtui(home, "batch", "attach", "2023Q2", str(_scan(tmp_path, "scan.pdf", PDF)))
    r2 = fieldtui(home, "--lang", "en", "send", check=False)
    assert r2.returncode == 4, r2.stdout + r2.stderr
    assert "conflicting_file" in r2.stdout and "scan.pdf" in r2.stdout
    listed = json.loads(fieldtui(home, "batch", "list", "--json").stdout)["batches"][0]
    assert listed["state"] == "acknowledged" and listed["scan_state"] == "unsent"
    assert "conflicting_file" in listed["files"][0]["last_error"]
    assert [n for n, _ in county_files(real_county)[bid]] == ["scan.pdf"]
    assert county_files(real_county)[bid][0][1] == other


def test_scan_uploads_through_the_fault_proxy_arrive_exactly_once(
    home, settings, township, store, campaign, real_county, tmp_path
) -> None:
    """Twenty scans, each upload hit by seeded faults (dropped answers after the county stored
    the file, resets mid-body, refused connections, truncated bodies): one copy of each."""
    from fieldtui.sync.attach import attach_scan

    fast = PushConfig(deadline=20.0, attempts=12, attempt_timeout=5.0, wait_initial=0.02,
                      wait_max=0.2, wait_jitter=0.02)  # fmt: skip
    rng = random.Random(11)
    faults = [
        Fault.drop_response(),
        Fault.reset_mid_body(),
        Fault.refuse(),
        Fault.truncate(),
        Fault.truncate(rewrite_length=True),
        Fault.drop_response(),
    ]
    with FaultProxy(real_county.port) as proxy:
        settings.set("endpoint", proxy.url)
        settings.set("token", real_county.tokens[UNIT])
        settings.save()
        fieldtui(home, "batch", "seal", "--quarter", "2023Q2")
        report = send_pending(store, campaign.id, settings, config=fast)
        (bid,) = [o.batch_id for o in report.outcomes]
        expected = []
        for i in range(20):
            data = PDF + f"page {i}".encode()
            f = attach_scan(store, campaign, "2023Q2", _scan(tmp_path, f"p{i}.pdf", data)).file
            expected.append((f.name, data))
            proxy.script([rng.choice(faults), rng.choice(faults)], then=Fault.passthrough())
            report = send_pending(store, campaign.id, settings, config=fast)
            (out,) = report.outcomes
            assert [(x.name, x.status) for x in out.files] == [(f.name, "acknowledged")], out
            proxy.wait_idle()
        kinds = proxy.counts()
    assert kinds["drop_response"] >= 3 and kinds["reset_body"] >= 1
    assert county_files(real_county) == {bid: expected}
    assert real_county.copies() == {bid: 1}
    assert all(f.sent for f in store.batches.require(bid).files)


def test_county_import_report_and_files_carry_the_scan(
    home, settings, township, real_county, tmp_path
) -> None:
    """The exported zip (and .eml) carry the scan into `county import`, checked against the
    manifest; after a push nothing is stored twice; the report and `county files` show it."""
    fieldtui(home, "batch", "seal", "--quarter", "2023Q2")
    fieldtui(home, "batch", "attach", "2023Q2", str(_scan(tmp_path, "盖章页.pdf", PDF)))
    ex = json.loads(fieldtui(home, "export", "--quarter", "2023Q2", "--out",
                             str(tmp_path / "o"), "--json").stdout)  # fmt: skip
    zip_path = tmp_path / "o" / ex["zip"]
    out = json.loads(real_county.cli("county", "import", "--json", str(zip_path)).stdout)
    assert out["stored"] == 1, out
    (res,) = out["results"]
    bid = res["batch_id"]
    assert [(f["status"], f["sha256"]) for f in res["files"]] == [("stored", sha256_hex(PDF))]
    ((name, data),) = county_files(real_county)[bid]
    assert data == PDF and name.endswith(".pdf")
    # Again, and the push of the same batch and scan: no second batch, no second file.
    out = json.loads(real_county.cli("county", "import", "--json", str(zip_path)).stdout)
    assert out["duplicates"] == 1 and out["results"][0]["files"][0]["status"] == "duplicate"
    _configure(home, real_county.url, real_county.tokens[UNIT])
    code, rep = send(home)
    assert code == 0 and rep["batches"][0]["files"][0]["http_status"] == 200
    eml = tmp_path / "o" / ex["eml"]
    out = json.loads(real_county.cli("county", "import", "--json", str(eml)).stdout)
    assert out["duplicates"] == 1 and out["results"][0]["files"][0]["status"] == "duplicate"
    assert real_county.copies() == {bid: 1}
    assert len(county_files(real_county)[bid]) == 1
    # A scan attached to the message by hand (no SHA256SUMS line for it): not taken, but named.
    import email
    import email.policy

    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    msg.add_attachment(JPG, maintype="image", subtype="jpeg", filename="手机拍的盖章页.jpg")
    by_hand = tmp_path / "by-hand.eml"
    by_hand.write_bytes(msg.as_bytes())
    out = json.loads(real_county.cli("county", "import", "--json", str(by_hand)).stdout)
    files = {f["name"]: f["status"] for f in out["results"][0]["files"]}
    assert files["手机拍的盖章页.jpg"] == "unlisted" and out["files_refused"] == 0
    r = real_county.cli("--lang", "en", "county", "import", str(by_hand))
    assert r.returncode == 0 and "not taken: 手机拍的盖章页.jpg" in r.stderr
    assert len(county_files(real_county)[bid]) == 1
    # A zip whose scan was changed after the export: refused, nothing stored.
    import zipfile

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename.endswith(".pdf"):
                blob = blob[:-1] + bytes([blob[-1] ^ 1])
            dst.writestr(info, blob)
    r = real_county.cli("county", "import", "--json", str(bad), check=False)
    assert r.returncode == 2 and json.loads(r.stdout)["refused"] == 1
    # The report says the scan arrived (text and JSON, Chinese and English).
    rep = json.loads(real_county.cli("county", "report", "--quarter", "2023Q2", "--json").stdout)
    (row,) = [t for t in rep["periods"][0]["townships"] if t["unit"] == UNIT]
    assert row["scan"] is True and row["scan_files"] == 1
    zh = real_county.cli("--lang", "zh", "county", "report", "--quarter", "2023Q2").stdout
    assert "已收到" in zh
    assert "scan" in real_county.cli("county", "report", "--quarter", "2023Q2").stdout
    # county files: listed, then written out atomically under their safe names.
    listing = json.loads(real_county.cli("county", "files", bid, "--json").stdout)
    assert [f["sha256"] for f in listing["files"]] == [sha256_hex(PDF)]
    dest = tmp_path / "received"
    w = real_county.cli("--lang", "zh", "county", "files", bid, "--out", str(dest))
    assert "已写入" in w.stdout
    assert [p.name for p in dest.iterdir()] == [name]
    assert (dest / name).read_bytes() == PDF
    missing = real_county.cli("county", "files", "00000000-0000-4000-8000-000000000000",
                              check=False)  # fmt: skip
    assert missing.returncode != 0 and "no batch" in missing.stderr
    # a unique prefix of the id names the batch too (the overview shows eight characters)
    short = json.loads(real_county.cli("county", "files", bid[:8], "--json").stdout)
    assert short == listing
