"""The push client against a real Starlette/uvicorn endpoint on 127.0.0.1 speaking the protocol."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import time

import pytest
import trustme

from fieldtui.domain.batch import RECEIPT_SCHEMA, content_digest_header
from fieldtui.settings import Settings
from fieldtui.store.store import open_store
from fieldtui.sync.client import (
    PushConfig,
    SendProgress,
    Token,
    retry_after_seconds,
    retry_outbox,
    send_pending,
)
from fieldtui.sync.errors import SyncError
from fieldtui.sync.seal import seal_period
from tests.sync.server import ServerState, free_port, serve

TOKEN = "tok-longhe-0123456789"
FAST = PushConfig(
    deadline=6.0,
    attempts=6,
    attempt_timeout=2.0,
    connect_timeout=1.0,
    read_timeout=1.5,
    wait_initial=0.05,
    wait_max=0.3,
    wait_jitter=0.05,
    retry_after_max=2.0,
)


def point(settings: Settings, url: str, token: str = TOKEN) -> Settings:
    settings.set("endpoint", url)
    settings.set("token", token)
    settings.save()
    return settings


@pytest.fixture
def sealed(store, campaign, settings, township):
    return seal_period(store, campaign, settings, "2023Q2").batch


def keys(state: ServerState) -> list[str]:
    return [r["headers"]["idempotency-key"] for r in state.requests]


def test_a_batch_is_acknowledged_and_its_receipt_stored(store, campaign, settings, sealed, county):
    point(settings, county.url)
    events: list[SendProgress] = []
    report = send_pending(store, campaign.id, settings, config=FAST, progress=events.append)
    (out,) = report.outcomes
    assert out.status == "acknowledged" and out.http_status == 201 and not out.duplicate
    rec = store.batches.require(sealed.id)
    assert rec.state == "acknowledged" and not rec.in_outbox
    RECEIPT_SCHEMA.validate(rec.receipt)
    assert rec.receipt["batch_id"] == sealed.id
    assert rec.receipt["digest"] == sealed.digest
    assert rec.receipt["unit"] == "龙河镇" and rec.receipt["period"] == "2023Q2"
    (req,) = county.state.requests
    body = store.batches.body(sealed.id)
    assert req["sha256"] == hashlib.sha256(body).hexdigest()
    h = req["headers"]
    assert h["authorization"] == f"Bearer {TOKEN}"
    assert h["idempotency-key"] == sealed.id
    assert h["content-digest"] == content_digest_header(body)
    assert h["content-type"] == "application/json"
    assert [e.event for e in events] == ["sending", "acknowledged"]
    # Sending again: nothing left to send, the county still holds one copy.
    assert send_pending(store, campaign.id, settings, config=FAST).outcomes == []
    assert len(county.state.stored) == 1


@pytest.mark.parametrize(
    "fault",
    [
        "status:503",
        "status:500",
        "status:502",
        "status:409",
        "drop",
        "stall:5",
        "bad_receipt",
        "digest_mismatch",
    ],
)
def test_transient_failures_are_retried_with_the_same_key(
    store, campaign, settings, sealed, county, fault
):
    point(settings, county.url)
    county.state.script[:] = [fault, fault] if fault != "stall:5" else [fault]
    report = send_pending(store, campaign.id, settings, config=FAST)
    (out,) = report.outcomes
    assert out.status == "acknowledged", out.en
    assert len(county.state.stored) == 1
    assert set(keys(county.state)) == {sealed.id}
    assert len({r["sha256"] for r in county.state.requests}) == 1
    assert store.batches.require(sealed.id).attempts == len(county.state.requests) >= 2


def test_a_dropped_response_after_the_county_stored_it_ends_with_one_copy(
    store, campaign, settings, sealed, county
):
    point(settings, county.url)
    county.state.script[:] = ["drop_after_commit"]
    (out,) = send_pending(store, campaign.id, settings, config=FAST).outcomes
    assert out.status == "acknowledged" and out.duplicate and out.http_status == 200
    assert len(county.state.stored) == 1 and len(county.state.requests) == 2
    assert store.batches.require(sealed.id).receipt["duplicate"] is True


def test_retry_after_is_honoured(store, campaign, settings, sealed, county):
    point(settings, county.url)
    county.state.script[:] = ["status:429:1"]
    (out,) = send_pending(store, campaign.id, settings, config=FAST).outcomes
    assert out.status == "acknowledged"
    first, second = county.state.requests
    assert second["at"] - first["at"] >= 0.95


def test_a_retry_after_beyond_the_deadline_leaves_the_batch_in_the_outbox(
    store, campaign, settings, sealed, county
):
    point(settings, county.url)
    county.state.script[:] = ["status:503:3600"]
    cfg = PushConfig(deadline=3.0, attempt_timeout=1.0, retry_after_max=600.0)
    t = time.monotonic()
    (out,) = send_pending(store, campaign.id, settings, config=cfg).outcomes
    assert time.monotonic() - t < 1.5
    assert out.status == "pending" and len(county.state.requests) == 1
    assert store.batches.require(sealed.id).in_outbox


def test_422_is_not_retried_and_the_server_message_is_shown(
    store, campaign, settings, sealed, county
):
    point(settings, county.url)
    county.state.script[:] = ["status:422"]
    (out,) = send_pending(store, campaign.id, settings, config=FAST).outcomes
    assert out.status == "failed" and out.http_status == 422
    assert "scripted 422" in out.en and "scripted 422" in out.zh
    assert len(county.state.requests) == 1
    rec = store.batches.require(sealed.id)
    assert rec.blocked and "scripted 422" in (rec.last_error or "")
    assert rec.state == "sent" and rec.in_outbox
    # The app's automatic retry leaves a refused batch alone...
    assert retry_outbox(settings.path.parent, config=FAST) is None
    # ...but sending by hand tries again, and this time the county takes it.
    (again,) = send_pending(store, campaign.id, settings, config=FAST).outcomes
    assert again.status == "acknowledged"


def test_same_id_with_another_digest_is_a_permanent_422(store, campaign, settings, sealed, county):
    point(settings, county.url)
    county.state.stored[sealed.id] = ("0" * 64, {})
    (out,) = send_pending(store, campaign.id, settings, config=FAST).outcomes
    assert out.status == "failed" and "same id with another digest" in out.en
    assert len(county.state.requests) == 1


def test_wrong_token_is_401_and_the_token_is_never_shown(
    store, campaign, settings, sealed, county, caplog
):
    secret = "tok-WRONG-s3cr3t-value"
    point(settings, county.url, token=secret)
    caplog.set_level(logging.DEBUG)
    (out,) = send_pending(store, campaign.id, settings, config=FAST).outcomes
    assert out.status == "failed" and out.http_status == 401 and "token" in out.en
    rec = store.batches.require(sealed.id)
    shown = " ".join(
        [
            out.zh,
            out.en,
            json.dumps(out.as_dict()),
            rec.last_error or "",
            caplog.text,
            repr(settings),
            repr(Token(secret)),
            str(Token(secret)),
        ]
    )
    assert secret not in shown


def test_another_units_token_is_403(store, campaign, settings, sealed, county):
    point(settings, county.url, token="tok-other-9876543210")
    (out,) = send_pending(store, campaign.id, settings, config=FAST).outcomes
    assert out.status == "failed" and out.http_status == 403 and "unit" in out.en


def test_gives_up_within_its_deadline_when_the_server_is_down(store, campaign, settings, sealed):
    point(settings, f"http://127.0.0.1:{free_port()}")
    cfg = PushConfig(deadline=2.0, attempts=50, attempt_timeout=1.0, wait_initial=0.1,
                     wait_max=0.5, wait_jitter=0.2)  # fmt: skip
    t = time.monotonic()
    (out,) = send_pending(store, campaign.id, settings, config=cfg).outcomes
    elapsed = time.monotonic() - t
    assert elapsed < 2.0 + 0.5, elapsed  # the deadline plus start-up (TLS context, queueing)
    assert out.status == "pending" and out.attempts >= 3
    rec = store.batches.require(sealed.id)
    assert rec.in_outbox and not rec.blocked and "cannot connect" in (rec.last_error or "")


def test_a_stalled_server_cannot_hold_a_batch_past_the_deadline(
    store, campaign, settings, sealed, county
):
    point(settings, county.url)
    county.state.script[:] = ["stall:30"] * 10
    cfg = PushConfig(deadline=2.5, attempt_timeout=1.0, read_timeout=5.0, wait_initial=0.1,
                     wait_jitter=0.1)  # fmt: skip
    t = time.monotonic()
    (out,) = send_pending(store, campaign.id, settings, config=cfg).outcomes
    assert time.monotonic() - t < 2.5 + 0.5
    assert out.status == "pending" and "timed out" in out.en


def test_the_outbox_survives_a_restart_and_is_sent_later(
    home, campaign, settings, township, campaign_sealed_home=None
):
    store = open_store(home)
    b = seal_period(store, campaign, settings, "2023Q2").batch
    point(settings, f"http://127.0.0.1:{free_port()}")
    (out,) = send_pending(store, campaign.id, settings,
                          config=PushConfig(deadline=0.5, attempt_timeout=0.3)).outcomes  # fmt: skip
    assert out.status == "pending"
    store.close()
    # A new process finds it in the outbox and sends it once the county is reachable.
    state = ServerState(campaign=campaign, tokens={TOKEN: "龙河镇"})
    with serve(state) as srv:
        point(settings, srv.url)
        env = {**os.environ, "FIELDTUI_HOME": str(home)}
        proc = subprocess.run(
            [sys.executable, "-m", "fieldtui", "send", "--json", "--lang", "en"],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout)
        assert report["acknowledged"] == 1 and report["batches"][0]["batch_id"] == b.id
        assert TOKEN not in proc.stdout + proc.stderr
    with open_store(home) as again:
        rec = again.batches.require(b.id)
        assert rec.state == "acknowledged" and rec.receipt["batch_id"] == b.id


def test_retry_outbox_on_app_start(home, campaign, settings, township, county):
    store = open_store(home)
    b = seal_period(store, campaign, settings, "2023Q2").batch
    store.batches.queue([b.id])  # left in the outbox by an earlier run
    store.close()
    assert retry_outbox(home, config=FAST) is None  # no endpoint yet: nothing happens
    point(settings, county.url)
    report = retry_outbox(home, config=FAST)
    assert report is not None and report.ok
    assert retry_outbox(home, config=FAST) is None  # empty now
    assert list(county.state.stored) == [b.id]


def test_superseded_batches_go_oldest_first(store, campaign, settings, township, county):
    import datetime as dt

    from tests.sync.helpers import visit

    first = seal_period(store, campaign, settings, "2023Q2").batch
    visit(store, campaign, township["e"], dt.date(2023, 6, 29))
    second = seal_period(store, campaign, settings, "2023Q2").batch
    point(settings, county.url)
    report = send_pending(store, campaign.id, settings, "2023Q2", config=FAST)
    assert [o.batch_id for o in report.outcomes] == [first.id, second.id]
    assert county.state.stored[second.id][1]["supersedes"] == first.id


def test_tls_unverifiable_certificate_is_refused_then_accepted_with_ca_file(
    store, campaign, settings, sealed, tmp_path
):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = tmp_path / "srv.pem", tmp_path / "srv.key"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    state = ServerState(campaign=campaign, tokens={TOKEN: "龙河镇"})
    with serve(state, certfile=str(certfile), keyfile=str(keyfile)) as srv:
        assert srv.url.startswith("https://")
        point(settings, srv.url)
        (out,) = send_pending(store, campaign.id, settings, config=FAST).outcomes
        assert out.status == "failed" and "certificate" in out.en and "ca_file" in out.en
        assert state.stored == {}
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        settings.set("ca_file", str(ca_file))
        (out,) = send_pending(store, campaign.id, settings, config=FAST).outcomes
        assert out.status == "acknowledged"
        assert list(state.stored) == [sealed.id]


def test_settings_errors_name_the_setting(store, campaign, settings, sealed):
    with pytest.raises(SyncError) as info:
        send_pending(store, campaign.id, settings)
    assert "endpoint" in info.value.en
    settings.set("endpoint", "http://127.0.0.1:9")
    with pytest.raises(SyncError) as info:
        send_pending(store, campaign.id, settings)
    assert "token" in info.value.en and "FIELDTUI_TOKEN" in info.value.en
    settings.set("token", "中文令牌")
    with pytest.raises(SyncError) as info:
        send_pending(store, campaign.id, settings)
    assert "non-ASCII" in info.value.en and "中文令牌" not in info.value.zh + info.value.en
    settings.set("ca_file", "/no/such/ca.pem")
    settings.set("token", TOKEN)
    with pytest.raises(SyncError) as info:
        send_pending(store, campaign.id, settings)
    assert "ca_file" in info.value.en


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    now = 1_700_000_000.0
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:30 GMT", now) == pytest.approx(10.0)
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:00 GMT", now + 100) == 0.0


def test_push_config_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        PushConfig(deadline=0)
    assert "******" in repr(Token("x"))


def test_a_send_stops_at_once_when_asked(store, campaign, settings, sealed, county):
    """The app quitting mid-send must not wait for the deadline: the worker's cancel flag."""
    point(settings, county.url)
    county.state.script[:] = ["stall:30"]
    started = time.monotonic()
    report = send_pending(store, campaign.id, settings,
                          config=PushConfig(deadline=60, attempt_timeout=30),
                          should_stop=lambda: time.monotonic() - started > 0.5)  # fmt: skip
    assert time.monotonic() - started < 1.5
    assert report.stopped and report.outcomes == []
    rec = store.batches.require(sealed.id)
    assert rec.in_outbox and rec.state == "sent" and rec.attempts == 1
