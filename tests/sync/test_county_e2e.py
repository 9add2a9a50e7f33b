"""The township's own commands against a real ``fieldtui county serve`` (from fieldtui/county),
directly and through the loopback fault proxy: seal, send, receipt, one copy at the county."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.county_server import CountyServer, fieldtui, start_county
from tests.support.fault_proxy import Fault, FaultProxy
from tests.sync.helpers import UNIT, visit

OTHER = "三合镇"


@pytest.fixture
def real_county(tmp_path: Path) -> Iterator[CountyServer]:
    with start_county(tmp_path / "county", units=[UNIT, OTHER]) as srv:
        yield srv


def send(home: Path, url: str, token: str, *args: str) -> tuple[int, dict]:
    fieldtui(home, "config", "set", "endpoint", url)
    fieldtui(home, "config", "set", "token", token)
    r = fieldtui(home, "send", "--json", *args, check=False)
    return r.returncode, json.loads(r.stdout)


def test_send_and_resend_leave_one_copy_with_receipts(
    home, settings, township, store, campaign, real_county
) -> None:
    code, rep = send(home, real_county.url, real_county.tokens[UNIT], "--quarter", "2023Q2")
    assert code == 0 and rep["acknowledged"] == 1
    (first,) = rep["batches"]
    assert first["http_status"] == 201 and first["receipt"]["unit"] == UNIT
    assert real_county.copies() == {first["batch_id"]: 1}
    # Nothing left to send; then a change seals a superseding batch that goes too.
    code, rep = send(home, real_county.url, real_county.tokens[UNIT], "--quarter", "2023Q2")
    assert code == 0 and rep["sent"] == 0
    visit(store, campaign, township["e"], dt.date(2023, 6, 29))
    code, rep = send(home, real_county.url, real_county.tokens[UNIT], "--quarter", "2023Q2")
    assert code == 0 and rep["acknowledged"] == 1
    (second,) = rep["batches"]
    assert second["receipt"]["supersedes"] == first["batch_id"]
    assert real_county.copies() == {first["batch_id"]: 1, second["batch_id"]: 1}
    listed = json.loads(fieldtui(home, "batch", "list", "--json").stdout)["batches"]
    assert [b["state"] for b in listed] == ["acknowledged", "acknowledged"]


def test_the_county_refuses_another_units_token_and_a_wrong_one(
    home, settings, township, real_county
) -> None:
    code, rep = send(home, real_county.url, real_county.tokens[OTHER], "--quarter", "2023Q2")
    assert code == 4 and rep["batches"][0]["http_status"] == 403
    code, rep = send(home, real_county.url, "fieldtui-wrong-token-0000", "--quarter", "2023Q2")
    assert code == 4 and rep["batches"][0]["http_status"] == 401
    assert real_county.copies() == {}


def test_a_batch_sealed_under_a_fast_clock_is_refused_with_the_clock_named_then_resealed(
    home, settings, township, store, campaign, real_county
) -> None:
    """The county refuses a seal time more than a day after it receives the batch. The officer
    is told the computer's clock looks wrong (not retried: sending again cannot help); with the
    clock set right, sealing again makes a new batch (the content did not change), and it goes."""
    from fieldtui.sync.seal import seal_period

    fast = dt.datetime(2099, 7, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    old = seal_period(store, campaign, settings, "2023Q2", now=lambda: fast).batch
    code, rep = send(home, real_county.url, real_county.tokens[UNIT])
    assert code == 4, rep
    (out,) = rep["batches"]
    assert out["batch_id"] == old.id and out["status"] == "failed" and out["http_status"] == 422
    assert out["attempts"] == 1  # permanent: not retried
    assert "clock looks wrong" in out["message"] and "sealed_at" in out["message"]
    assert "时钟" in out["message_zh"] and "重新封存" in out["message_zh"]
    text = fieldtui(home, "--lang", "zh", "send", check=False)
    assert text.returncode == 4 and "时钟" in text.stdout + text.stderr
    assert real_county.copies() == {}
    # The clock set right: sealing again makes a new batch although nothing changed.
    sealed = json.loads(fieldtui(home, "batch", "seal", "--quarter", "2023Q2", "--json").stdout)
    assert sealed["created"] and sealed["batch"]["supersedes"] == old.id
    new = sealed["batch"]["batch_id"]
    again = json.loads(fieldtui(home, "batch", "seal", "--quarter", "2023Q2", "--json").stdout)
    assert not again["created"] and again["batch"]["batch_id"] == new
    code, rep = send(home, real_county.url, real_county.tokens[UNIT], "--quarter", "2023Q2")
    by_id = {b["batch_id"]: b for b in rep["batches"]}
    assert by_id[new]["status"] == "acknowledged" and by_id[new]["http_status"] == 201
    assert real_county.copies() == {new: 1}


def test_an_exported_zip_imported_after_the_push_is_no_duplicate(
    home, settings, township, real_county, tmp_path
) -> None:
    code, rep = send(home, real_county.url, real_county.tokens[UNIT], "--quarter", "2023Q2")
    assert code == 0
    ex = json.loads(
        fieldtui(
            home, "export", "--quarter", "2023Q2", "--out", str(tmp_path / "o"), "--json"
        ).stdout
    )
    zip_path = tmp_path / "o" / ex["zip"]
    out = json.loads(real_county.cli("county", "import", "--json", str(zip_path)).stdout)
    assert out["duplicates"] == 1 and out["stored"] == 0
    # A byte changed in the export's spreadsheet: the zip's manifest catches it at the county.
    import zipfile

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("附件2_验收情况统计表.xlsx"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.writestr(info, data)
    r = real_county.cli("--lang", "en", "county", "import", "--json", str(bad), check=False)
    assert r.returncode == 2 and json.loads(r.stdout)["refused"] == 1
    assert real_county.copies() == {rep["batches"][0]["batch_id"]: 1}


def test_through_the_fault_proxy_every_batch_arrives_once(
    home, settings, township, store, campaign, real_county
) -> None:
    """Dropped answers after the county stored the batch, resets mid-body, refused connections,
    truncated bodies and delays, seeded: the client keeps its key, the county keeps one copy."""
    rng = random.Random(7)
    faults = [
        Fault.drop_response(),
        Fault.reset_mid_body(),
        Fault.refuse(),
        Fault.truncate(),
        Fault.truncate(rewrite_length=True),
        Fault.delay(0.3),
        Fault.passthrough(),
    ]
    sent: list[str] = []
    with FaultProxy(real_county.port) as proxy:
        for i in range(6):
            proxy.script([rng.choice(faults[:5]), rng.choice(faults)], then=Fault.passthrough())
            if i:
                visit(store, campaign, township["e"], dt.date(2023, 6, 1 + i))
            # Two faults cost ~4 s of backoff; the deadline is generous because the point here is
            # one copy per batch, and a loaded CI machine once took 30 s.
            code, rep = send(home, proxy.url, real_county.tokens[UNIT], "--quarter", "2023Q2",
                             "--deadline", "90")  # fmt: skip
            assert code == 0, rep
            sent += [b["batch_id"] for b in rep["batches"]]
            proxy.wait_idle()
    assert real_county.copies() == {bid: 1 for bid in sent}
    assert len(sent) == 6
