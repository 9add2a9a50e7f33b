"""The loopback fault proxy does what its docstring says, against a real county server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fieldtui.domain.batch import API_PATH
from tests.support.batches import BatchFactory
from tests.support.county_server import CountyServer, start_county
from tests.support.fault_proxy import Fault, FaultProxy

A = "丰收镇"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CountyServer]:
    srv = start_county(
        tmp_path_factory.mktemp("county-proxy"),
        units=[A],
        args=["--rate", "0", "--token-rate", "0", "--idle-timeout", "1", "--body-timeout", "3"],
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def proxy(server: CountyServer) -> Iterator[FaultProxy]:
    with FaultProxy(server.port) as p:
        yield p


def _push(
    proxy: FaultProxy, server: CountyServer, factory: BatchFactory, c: httpx.Client | None = None
):
    b = factory.seal(A)
    client = c or httpx.Client(trust_env=False, timeout=10)
    try:
        r = client.post(proxy.url + API_PATH, content=b.body, headers=b.headers(server.tokens[A]))
    finally:
        if c is None:
            client.close()
    return b, r


def _stored(server: CountyServer, batch_id: str) -> int:
    return server.copies().get(batch_id, 0)


def test_pass_and_keep_alive(proxy, server, factory) -> None:
    with httpx.Client(trust_env=False, timeout=10) as c:
        for _ in range(3):
            b, r = _push(proxy, server, factory, c)
            assert r.status_code == 201 and _stored(server, b.batch_id) == 1
    assert [r.fault.kind for r in proxy.records] == ["pass"] * 3
    assert all(r.delivered and r.upstream_status == 201 for r in proxy.records)


def test_delay_adds_latency_both_ways(proxy, server, factory) -> None:
    proxy.script([Fault.delay(0.3)])
    t0 = time.monotonic()
    _, r = _push(proxy, server, factory)
    assert r.status_code == 201 and time.monotonic() - t0 >= 0.6


def test_refuse_never_reaches_the_server(proxy, server, factory) -> None:
    proxy.script([Fault.refuse()])
    with pytest.raises(httpx.TransportError):
        _push(proxy, server, factory)
    assert proxy.records[0].note == "refused" and proxy.records[0].upstream_status is None


def test_reset_mid_body_stores_nothing(proxy, server, factory) -> None:
    proxy.script([Fault.reset_mid_body()])
    b = factory.seal(A)
    with pytest.raises(httpx.TransportError), httpx.Client(trust_env=False, timeout=10) as c:
        c.post(proxy.url + API_PATH, content=b.body, headers=b.headers(server.tokens[A]))
    rec = proxy.records[0]
    assert rec.body_forwarded == len(b.body) // 2 and rec.upstream_status is None
    time.sleep(0.2)
    assert _stored(server, b.batch_id) == 0
    assert "error=client gone" in server.log() or "error=request_timeout" in server.log()


def test_truncate_half_close_and_rewritten_length(proxy, server, factory) -> None:
    before = set(server.copies())
    proxy.script([Fault.truncate()])
    with pytest.raises(httpx.TransportError):
        _push(proxy, server, factory)
    proxy.script([Fault.truncate(keep=5000, rewrite_length=True)])
    _, r = _push(proxy, server, factory)
    assert r.status_code == 422 and r.json()["error"] == "digest_mismatch"
    assert proxy.records[1].body_forwarded == 5000
    assert set(server.copies()) == before


def test_drip_is_slow_but_arrives(proxy, server, factory) -> None:
    proxy.script([Fault.drip(chunk=4096, interval=0.01)])
    b, r = _push(proxy, server, factory)
    assert r.status_code == 201 and _stored(server, b.batch_id) == 1


def test_stall_gets_the_servers_408(proxy, server, factory) -> None:
    proxy.script([Fault.stall(hold=5)])
    t0 = time.monotonic()
    b, r = _push(proxy, server, factory)
    assert r.status_code == 408 and time.monotonic() - t0 < 4
    assert proxy.records[0].upstream_status == 408 and _stored(server, b.batch_id) == 0


def test_drop_response_after_the_server_committed(proxy, server, factory) -> None:
    proxy.script([Fault.drop_response()])
    b = factory.seal(A)
    with httpx.Client(trust_env=False, timeout=10) as c:
        with pytest.raises(httpx.TransportError):
            c.post(proxy.url + API_PATH, content=b.body, headers=b.headers(server.tokens[A]))
        rec = proxy.records[0]
        assert rec.upstream_status == 201 and not rec.delivered
        assert _stored(server, b.batch_id) == 1  # committed before the answer was lost
        r = c.post(proxy.url + API_PATH, content=b.body, headers=b.headers(server.tokens[A]))
        assert r.status_code == 200 and r.json()["duplicate"] is True


def test_script_fails_the_first_n_then_passes_and_plans_can_be_functions(
    proxy, server, factory
) -> None:
    proxy.script([Fault.refuse(), Fault.reset_mid_body(after=10)])
    outcomes = []
    for _ in range(3):
        try:
            outcomes.append(_push(proxy, server, factory)[1].status_code)
        except httpx.TransportError:
            outcomes.append("error")
    assert outcomes == ["error", "error", 201]
    proxy.set_plan(lambda n: Fault.refuse() if n % 2 else Fault.passthrough())
    codes = []
    for _ in range(4):
        try:
            codes.append(_push(proxy, server, factory)[1].status_code)
        except httpx.TransportError:
            codes.append("error")
    assert codes == ["error", 201, "error", 201]  # request numbers 3..6 continue the count
    assert proxy.counts()["refuse"] == 3
    assert proxy.wait_idle()


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        Fault("explode")


def test_proxy_stops_cleanly_with_open_connections(server: CountyServer, tmp_path: Path) -> None:
    import socket

    p = FaultProxy(server.port).start()
    s = socket.create_connection(("127.0.0.1", p.port))
    s.sendall(b"POST / HTTP/1.1\r\n")
    p.stop()
    s.settimeout(5)
    assert s.recv(10) == b""
