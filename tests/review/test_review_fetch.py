"""Fetching the county's review through the loopback fault proxy: a dropped connection or a lost
answer is tried once more; a fetch that still fails is reported, stores nothing, and never fails
the command (the send already succeeded)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldtui.store.store import open_store
from tests.support.county_server import CountyServer, fieldtui, start_county
from tests.support.fault_proxy import Fault, FaultProxy
from tests.sync.helpers import UNIT, make_settings, small_township


@pytest.fixture
def county(tmp_path: Path) -> Iterator[CountyServer]:
    with start_county(tmp_path / "county", units=[UNIT]) as srv:
        yield srv


@pytest.fixture
def sent(home: Path, campaign, county: CountyServer) -> str:
    """A township whose 2023Q2 batch the county acknowledged; returns the batch id."""
    make_settings(home)
    with open_store(home) as store:
        small_township(store, campaign)
    fieldtui(home, "config", "set", "endpoint", county.url)
    fieldtui(home, "config", "set", "token", county.tokens[UNIT])
    out = json.loads(fieldtui(home, "send", "--quarter", "2023Q2", "--json").stdout)
    county.cli("county", "verdict", out["batches"][0]["batch_id"], "accepted",
               "--reviewer", "王审核")  # fmt: skip
    return str(out["batches"][0]["batch_id"])


def test_a_refused_connection_and_a_lost_answer_are_tried_again(
    home: Path, sent: str, county: CountyServer
) -> None:
    with FaultProxy(county.port) as proxy:
        fieldtui(home, "config", "set", "endpoint", proxy.url)
        for fault in (Fault.refuse(), Fault.drop_response()):
            proxy.script([fault])
            got = json.loads(fieldtui(home, "review", "--json").stdout)
            assert got["fetch"]["fetched"] == 1 and got["fetch"]["failed"] == 0
            assert got["reviews"][0]["status"] == "accepted"
        assert [r.fault.kind for r in proxy.records][:2] == ["refuse", "pass"]


def test_a_fetch_that_keeps_failing_is_reported_and_stores_nothing(
    home: Path, sent: str, county: CountyServer
) -> None:
    with FaultProxy(county.port) as proxy:
        fieldtui(home, "config", "set", "endpoint", proxy.url)
        proxy.script([Fault.refuse(), Fault.refuse()])
        proc = fieldtui(home, "--lang", "en", "review", "--json")
        got = json.loads(proc.stdout)
        assert got["fetch"]["failed"] == 1 and got["fetch"]["batches"][0]["status"] is None
        assert "cannot fetch the review" in proc.stderr and county.tokens[UNIT] not in proc.stderr
        # what send fetched earlier (pending) is still shown; the verdict did not arrive
        assert [r["status"] for r in got["reviews"]] == ["pending"]
    with open_store(home) as store:
        assert [r.status for r in store.reviews.history(sent)] == ["pending"]
