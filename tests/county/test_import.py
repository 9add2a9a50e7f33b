"""``county import``: e-mailed batches (.json, export .zip with manifest, .eml) through the same
validation and dedup path as a push."""

from __future__ import annotations

import hashlib
import json
import zipfile
from email.message import EmailMessage
from pathlib import Path

from fieldtui.domain.batch import API_PATH
from tests.support.batches import BatchFactory, Sealed
from tests.support.county_server import fieldtui

A, B = "丰收镇", "长乐镇"


def _export_zip(path: Path, b: Sealed, *, manifest: str = "json", corrupt: bool = False) -> Path:
    """A zip laid out like a township export: the batch JSON, a table, and a manifest of sums."""
    folder = f"{b.payload['unit']}-{b.payload['period']['label']}"
    files = {
        f"{folder}/batch-{b.batch_id}.json": b.body,
        f"{folder}/验收情况统计表.xlsx": b"PK\x03\x04 pretend spreadsheet",
    }
    sums = {name.split("/", 1)[1]: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    if manifest == "json":
        files[f"{folder}/manifest.json"] = json.dumps(
            {"files": [{"name": n, "sha256": s} for n, s in sums.items()]}, ensure_ascii=False
        ).encode()
    elif manifest == "sums":
        files[f"{folder}/SHA256SUMS"] = "".join(f"{s}  {n}\n" for n, s in sums.items()).encode()
    if corrupt:  # one byte changed after the manifest was written
        name = f"{folder}/batch-{b.batch_id}.json"
        data = bytearray(files[name])
        i = data.index(b'"officer":"') + len(b'"officer":"')
        data[i : i + 3] = "王".encode()
        files[name] = bytes(data)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _import(home: Path, *files: Path, check: bool = True) -> dict:
    r = fieldtui(home, "county", "import", "--json", *map(str, files), check=check)
    return json.loads(r.stdout) | {"_code": r.returncode, "_stderr": r.stderr}


def test_import_of_a_pushed_batch_as_zip_or_json_makes_no_duplicate(
    county, client, factory: BatchFactory, tmp_path
) -> None:
    b = factory.seal(A)
    pushed = client.post(county.url + API_PATH, content=b.body, headers=b.headers(county.tokens[A]))
    assert pushed.status_code == 201
    zpath = _export_zip(tmp_path / "export.zip", b)
    jpath = tmp_path / "batch.json"
    jpath.write_bytes(b.body)
    for f in (zpath, jpath):
        out = _import(county.home, f)  # while the server runs
        assert out["_code"] == 0
        assert out["duplicates"] == 1 and out["stored"] == 0
        assert out["results"][0]["received_at"] == pushed.json()["received_at"]
    assert county.copies() == {b.batch_id: 1}


def test_push_after_import_returns_the_import_receipt(county, client, factory, tmp_path) -> None:
    b = factory.seal(A)
    out = _import(county.home, _export_zip(tmp_path / "e.zip", b, manifest="sums"))
    assert out["stored"] == 1 and out["results"][0]["unit"] == A
    r = client.post(county.url + API_PATH, content=b.body, headers=b.headers(county.tokens[A]))
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert r.json()["received_at"] == out["results"][0]["received_at"]
    assert county.copies() == {b.batch_id: 1}


def test_manifest_catches_a_one_byte_change(tmp_path, factory) -> None:
    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)
    b = factory.seal(A)
    out = _import(home, _export_zip(tmp_path / "bad.zip", b, corrupt=True), check=False)
    assert out["_code"] == 2 and out["refused"] == 1
    assert "does not match its SHA-256" in out["results"][0]["message"]
    assert f"batch-{b.batch_id}.json" in out["results"][0]["message"]
    # human output names the file too
    r = fieldtui(home, "--lang", "en", "county", "import", str(tmp_path / "bad.zip"), check=False)
    assert r.returncode == 2 and "bad.zip" in r.stderr and "SHA-256" in r.stderr


def test_unknown_unit_is_refused_and_named(tmp_path, factory) -> None:
    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)
    b = factory.seal("无名镇")
    path = tmp_path / "b.json"
    path.write_bytes(b.body)
    out = _import(home, path, check=False)
    res = out["results"][0]
    assert out["_code"] == 2 and res["error"] == "unknown_unit"
    assert "无名镇" in res["message"] and "county unit add" in res["message"]
    fieldtui(home, "county", "unit", "add", "无名镇")
    assert _import(home, path)["stored"] == 1


def test_invalid_batches_are_refused_with_the_place_named(tmp_path, factory) -> None:
    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)

    def wrong(c: dict) -> None:
        c["visits"][0]["base"] = c["visits"][0]["base"] - 1

    b = factory.seal(A, change=wrong)
    path = tmp_path / "wrong.json"
    path.write_bytes(b.body)
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    other = factory.seal(A)
    conflict_a = tmp_path / "c1.json"
    conflict_a.write_bytes(other.body)
    conflict_b = tmp_path / "c2.json"
    conflict_b.write_bytes(factory.seal(A, "2023Q3", batch_id=other.batch_id).body)
    out = _import(home, path, garbage, empty, conflict_a, conflict_b, check=False)
    by_file = {Path(r["file"].split(":")[0]).name: r for r in out["results"]}
    assert by_file["wrong.json"]["error"] == "invalid_batch"
    assert by_file["wrong.json"]["path"] == "visits[0].base"
    assert "station" in by_file["wrong.json"]["message"]
    assert "not a readable zip" in by_file["garbage.zip"]["message"]
    assert "no batch JSON" in by_file["empty.zip"]["message"]
    assert by_file["c1.json"]["status"] == "stored"
    assert by_file["c2.json"]["error"] == "conflicting_batch"
    assert out["_code"] == 2 and out["stored"] == 1 and out["refused"] == 4


def test_eml_with_the_export_attached(tmp_path, factory) -> None:
    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)
    b = factory.seal(A)
    z = _export_zip(tmp_path / "export.zip", b)
    msg = EmailMessage()
    msg["Subject"] = "丰收镇 2023Q2 验收材料"
    msg["From"] = "officer@example.cn"
    msg["To"] = "240960637@qq.com"
    msg.set_content("见附件")
    msg.add_attachment(
        z.read_bytes(), maintype="application", subtype="zip", filename="丰收镇-2023Q2.zip"
    )
    eml = tmp_path / "mail.eml"
    eml.write_bytes(bytes(msg))
    out = _import(home, eml)
    assert out["stored"] == 1 and out["results"][0]["batch_id"] == b.batch_id
    # a folder of files: the same batch again, no duplicate
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.json").write_bytes(b.body)
    (folder / "notes.txt").write_text("ignored")
    out = _import(home, folder)
    assert out["duplicates"] == 1 and len(out["results"]) == 1


def test_oversized_members_are_refused_before_reading(tmp_path, factory) -> None:
    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("batch.json", b" " * (20 * 1024 * 1024))  # compresses to ~20 KB
    out = _import(home, z, check=False)
    assert out["refused"] == 1 and "over the limit" in out["results"][0]["message"]


def test_import_json_matches_the_documented_shape(tmp_path, factory) -> None:
    from tests.county.test_report import _doc_examples

    doc = next(d for d in _doc_examples() if "results" in d)
    documented = {r["status"]: set(r) for r in doc["results"]}
    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)
    good = tmp_path / "good.json"
    good.write_bytes(factory.seal(A).body)
    bad = tmp_path / "bad.json"
    bad.write_bytes(factory.seal(A, change=lambda c: c["visits"][0].update(total=1)).body)
    first = _import(home, good)
    out = _import(home, good, bad, check=False)
    assert set(out) - {"_code", "_stderr"} == set(doc)
    results = first["results"] + out["results"]
    assert [r["status"] for r in results] == ["stored", "duplicate", "refused"]
    for r in results:
        assert set(r) == documented[r["status"]], r


def test_a_lone_surrogate_escape_is_refused_in_one_line_naming_the_file(tmp_path, factory) -> None:
    """A batch file holding "\\ud800" in a station name (written with ensure_ascii=True): one
    clear refusal naming the file and the field, no traceback, nothing stored."""
    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)
    p = json.loads(factory.seal(A).body)
    p["stations"][0]["name"] = "青龙村\ud800站"
    path = tmp_path / "surrogate.json"
    path.write_bytes(json.dumps(p, sort_keys=True, separators=(",", ":")).encode())
    r = fieldtui(home, "--lang", "en", "county", "import", str(path), check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(f"refused {path}") and "stations[0].name" in line, line
    assert "surrogate" in line
    out = _import(home, path, check=False)
    (res,) = out["results"]
    assert res["error"] == "invalid_batch" and res["path"] == "$.stations[0].name"
    assert out["stored"] == 0


def test_a_carried_scan_whose_name_disagrees_with_its_content_is_refused(tmp_path, factory):
    """The same rule as a pushed scan: a PDF named scan.bat in an e-mail (listed and verified in
    its SHA256SUMS) is refused, named; the batch itself and a proper scan beside it are stored."""
    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)
    b = factory.seal(A)
    pdf = b"%PDF-1.4\r\necho pwned > %TEMP%\\x.txt\r\n"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    msg = EmailMessage()
    msg["Subject"] = "丰收镇 2023Q2"
    msg.set_content("见附件")
    msg.add_attachment(b.body, maintype="application", subtype="json", filename="batch.json")
    attached = {"scan.bat": pdf, "page.png": png}
    for name, data in attached.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    sums = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in attached.items())
    msg.add_attachment(sums.encode(), maintype="text", subtype="plain", filename="SHA256SUMS")
    eml = tmp_path / "mail.eml"
    eml.write_bytes(bytes(msg))
    out = _import(home, eml, check=False)
    assert out["stored"] == 1 and out["files_refused"] == 1 and out["_code"] == 2
    files = {f["name"]: f for f in out["results"][0]["files"]}
    assert files["page.png"]["status"] == "stored"
    assert files["scan.bat"]["status"] == "refused" and files["scan.bat"]["error"] == "not_a_scan"
    assert ".bat" in files["scan.bat"]["message"] and "PDF" in files["scan.bat"]["message"]
    listed = json.loads(fieldtui(home, "county", "files", b.batch_id, "--json").stdout)
    assert [f["name"] for f in listed["files"]] == ["page.png"]


def test_a_carried_scan_named_like_another_but_for_case_gets_a_name_of_its_own(tmp_path, factory):
    """The batch already has Scan.pdf; an e-mail carries scan.pdf with other bytes: stored as
    scan_2.pdf, never as a second "scan.pdf" a Windows folder could not hold beside the first."""
    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)
    b = factory.seal(A)

    def mail(name: str, data: bytes) -> Path:
        msg = EmailMessage()
        msg.set_content("见附件")
        msg.add_attachment(b.body, maintype="application", subtype="json", filename="batch.json")
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
        sums = f"{hashlib.sha256(data).hexdigest()}  {name}\n".encode()
        msg.add_attachment(sums, maintype="text", subtype="plain", filename="SHA256SUMS")
        path = tmp_path / f"{name}.eml"
        path.write_bytes(bytes(msg))
        return path

    first = _import(home, mail("Scan.pdf", b"%PDF-1.4 one"))
    assert first["results"][0]["files"][0] == {
        "name": "Scan.pdf", "sha256": hashlib.sha256(b"%PDF-1.4 one").hexdigest(),
        "status": "stored",
    }  # fmt: skip
    second = _import(home, mail("scan.pdf", b"%PDF-1.4 two"))
    (f,) = second["results"][0]["files"]
    assert f["status"] == "stored" and f["name"] == "scan_2.pdf"
    listed = json.loads(fieldtui(home, "county", "files", b.batch_id, "--json").stdout)
    assert [x["name"] for x in listed["files"]] == ["Scan.pdf", "scan_2.pdf"]


def test_import_refuses_self_supersede_and_a_seal_time_ahead_of_the_import(tmp_path, factory):
    """The same rules as a push, with the import time for the receive time."""
    import datetime as dt

    from fieldtui.domain.rubric import CHINA_TZ

    home = tmp_path / "county"
    fieldtui(home, "county", "unit", "add", A)
    bid = "0c0ffee0-0000-4000-8000-00000000b002"
    files = {
        "self.json": factory.seal(A, batch_id=bid, supersedes=bid),
        "future.json": factory.seal(A, sealed_at=dt.datetime(9999, 12, 31, tzinfo=CHINA_TZ)),
        "tomorrow.json": factory.seal(
            A, sealed_at=dt.datetime.now(CHINA_TZ) + dt.timedelta(days=2)
        ),
        "old.json": factory.seal(A, sealed_at=dt.datetime(2000, 1, 1, tzinfo=CHINA_TZ)),
    }
    for name, b in files.items():
        (tmp_path / name).write_bytes(b.body)
    out = _import(home, *(tmp_path / n for n in files), check=False)
    got = {Path(r["file"]).name: r for r in out["results"]}
    assert got["self.json"]["error"] == "invalid_batch" and got["self.json"]["path"] == "supersedes"
    for name in ("future.json", "tomorrow.json"):
        assert got[name]["path"] == "sealed_at" and "clock" in got[name]["message"], got[name]
    assert got["old.json"]["status"] == "stored"
    assert out["_code"] == 2 and out["stored"] == 1 and out["refused"] == 3
