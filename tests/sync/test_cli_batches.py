"""The batch commands end to end through ``fieldtui.cli.main`` with a temporary home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldtui.cli import main
from fieldtui.store.store import open_store
from tests.sync.test_export import PDF

TOKEN = "tok-longhe-0123456789"


def run(capsys, home: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--home", str(home), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, home: Path, *argv: str) -> dict:
    code, out, err = run(capsys, home, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def ready(home, settings, township) -> Path:
    return home


def test_seal_list_attach_export_verify(capsys, ready: Path, tmp_path: Path) -> None:
    first = run_json(capsys, ready, "batch", "seal", "--quarter", "2023Q2")
    assert first["created"] and first["batch"]["state"] == "sealed"
    again = run_json(capsys, ready, "batch", "seal", "--quarter", "2023Q2")
    assert not again["created"] and again["batch"]["batch_id"] == first["batch"]["batch_id"]

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    att = run_json(capsys, ready, "batch", "attach", "2023Q2", str(scan))
    assert att["added"] and att["file"]["mime"] == "application/pdf"
    assert not run_json(capsys, ready, "batch", "attach", "2023Q2", str(scan))["added"]

    out = tmp_path / "out"
    ex = run_json(capsys, ready, "export", "--quarter", "2023Q2", "--out", str(out))
    assert not ex["sealed_now"] and ex["batch_id"] == first["batch"]["batch_id"]
    roles = sorted(f["role"] for f in ex["files"])
    assert roles == ["batch", "report", "scan", "score_sheets", "statistics"]
    ver = run_json(capsys, ready, "batch", "verify", str(out / ex["manifest"]))
    assert ver == {"ok": True, "problems": []}
    (out / ex["files"][0]["name"]).write_bytes(b"changed")
    code, text, _ = run(capsys, ready, "batch", "verify", str(out / ex["sha256sums"]))
    assert code == 1 and ex["files"][0]["name"] in text

    listed = run_json(capsys, ready, "batch", "list")
    (b,) = listed["batches"]
    assert b["state"] == "exported" and b["files"][0]["name"] == "scan.pdf"
    code, text, _ = run(capsys, ready, "--lang", "en", "batch", "list")
    assert code == 0 and "exported" in text and "scan.pdf" in text


def test_refusals_are_one_line_in_the_interface_language(capsys, home, township) -> None:
    code, _, err = run(capsys, home, "batch", "seal", "--quarter", "2023Q2")
    assert code == 2 and "unit" in err and "填报单位" in err and err.count("\n") == 1
    code, _, err = run(capsys, home, "--lang", "en", "batch", "seal", "--quarter", "2023Q2")
    assert code == 2 and "the reporting unit is not set" in err
    code, _, err = run(capsys, home, "--lang", "en", "batch", "attach", "2023Q2", "/no/such.pdf")
    assert code == 2 and "/no/such.pdf" in err


def test_attach_refuses_what_is_not_a_scan(capsys, ready, tmp_path) -> None:
    run_json(capsys, ready, "batch", "seal", "--quarter", "2023Q2")
    fake = tmp_path / "scan.pdf"
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    code, _, err = run(capsys, ready, "--lang", "en", "batch", "attach", "2023Q2", str(fake))
    assert code == 2 and "not a PDF, JPEG or PNG" in err
    with open_store(ready) as s:
        assert s.conn.execute("SELECT count(*) FROM batch_files").fetchone()[0] == 0


def test_attach_refuses_a_name_that_disagrees_with_the_content(capsys, ready, tmp_path) -> None:
    """The county refuses a PDF called scan.bat: the township says so when it is attached, not
    after a send. Any case of a matching extension is fine (scanners write SCAN0001.PDF)."""
    run_json(capsys, ready, "batch", "seal", "--quarter", "2023Q2")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    for name, data in (("scan.bat", PDF), ("page.svg", png), ("page.pdf", png), ("scan", PDF)):
        bad = tmp_path / name
        bad.write_bytes(data)
        code, _, err = run(capsys, ready, "--lang", "en", "batch", "attach", "2023Q2", str(bad))
        assert code == 2 and str(bad) in err and "the name ends in" in err, err
        assert err.count("\n") == 1
    code, _, err = run(capsys, ready, "batch", "attach", "2023Q2", str(tmp_path / "scan.bat"))
    assert code == 2 and "扩展名" in err
    with open_store(ready) as s:
        assert s.conn.execute("SELECT count(*) FROM batch_files").fetchone()[0] == 0
    for name, data in (("SCAN0001.PDF", PDF), ("photo.JPEG", b"\xff\xd8\xff\xe0" + b"\0" * 9)):
        ok = tmp_path / name
        ok.write_bytes(data)
        assert run_json(capsys, ready, "batch", "attach", "2023Q2", str(ok))["added"]
    listed = run_json(capsys, ready, "batch", "list")["batches"][0]["files"]
    assert [f["name"] for f in listed] == ["SCAN0001.pdf", "photo.jpg"]


def test_attach_refuses_an_oversized_file(capsys, ready, tmp_path, monkeypatch) -> None:
    from fieldtui.sync import attach

    run_json(capsys, ready, "batch", "seal", "--quarter", "2023Q2")
    monkeypatch.setattr(attach, "SCAN_MAX_BYTES", 1000)
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 2000)
    code, _, err = run(capsys, ready, "--lang", "en", "batch", "attach", "2023Q2", str(big))
    assert code == 2 and "larger than" in err


def test_attach_needs_a_sealed_batch(capsys, ready, tmp_path) -> None:
    scan = tmp_path / "a.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n....")
    code, _, err = run(capsys, ready, "--lang", "en", "batch", "attach", "2023Q2", str(scan))
    assert code == 2 and "no sealed batch" in err


def test_send_seals_and_pushes_then_reports_the_receipt(
    capsys, ready, county, settings, monkeypatch
) -> None:
    settings.set("endpoint", county.url)
    settings.save()
    code, _, err = run(capsys, ready, "--lang", "en", "send", "--quarter", "2023Q2")
    assert code == 2 and "token" in err  # no token yet: named
    monkeypatch.setenv("FIELDTUI_TOKEN", TOKEN)
    rep = run_json(capsys, ready, "send", "--quarter", "2023Q2")
    assert rep["acknowledged"] == 1 and rep["batches"][0]["receipt"]["duplicate"] is False
    (b,) = run_json(capsys, ready, "batch", "list")["batches"]
    assert b["state"] == "acknowledged" and b["receipt"]["batch_id"] == b["batch_id"]


def test_send_exit_code_when_the_county_is_unreachable(capsys, ready, settings) -> None:
    from tests.sync.server import free_port

    settings.set("endpoint", f"http://127.0.0.1:{free_port()}")
    settings.set("token", TOKEN)
    settings.save()
    run_json(capsys, ready, "batch", "seal", "--quarter", "2023Q2")
    code, out, err = run(capsys, ready, "--lang", "en", "send", "--deadline", "0.6")
    assert code == 3 and "kept in the outbox" in out
    assert TOKEN not in out + err


def test_email_json(capsys, ready, settings) -> None:
    from tests.sync.smtpd import smtp_server

    with smtp_server() as (inbox, port):
        for k, v in {"smtp.host": "127.0.0.1", "smtp.port": port, "smtp.security": "none",
                     "smtp.from": "a@example.org"}.items():  # fmt: skip
            settings.set(k, v)
        settings.save()
        r = run_json(capsys, ready, "email", "--quarter", "2023Q2")
    assert r["to"] == "240960637@qq.com" and len(r["attachments"]) == 5
    assert len(inbox.messages) == 1
