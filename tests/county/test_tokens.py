"""Tokens: shown once, stored only as hashes, compared in constant time, never logged; the
``county token``/``unit`` commands; a clean stop on SIGTERM and SIGINT."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx

from fieldtui.county.auth import TOKEN_RE, bearer_token, match_token, new_token, token_hash
from fieldtui.county.store import TokenHash, open_county
from fieldtui.domain.batch import API_PATH
from tests.support.county_server import fieldtui, start_county

A, B = "丰收镇", "长乐镇"


def _all_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())


def test_token_add_prints_once_and_stores_only_the_hash(tmp_path: Path) -> None:
    home = tmp_path / "county"
    out = fieldtui(home, "county", "token", "add", A)
    token = out.stdout.strip()
    assert bearer_token(f"Bearer {token}") == token and len(token) >= 40
    assert "only" in out.stderr  # told it is shown once (English in tests)
    with open_county(home) as store:
        rows = store.active_tokens()
    assert [r.unit for r in rows] == [A]
    assert rows[0].hash == token_hash(token)
    disk = _all_bytes(home)
    assert token.encode() not in disk
    assert token_hash(token).encode() in disk
    # list shows units and dates, never a secret or its hash
    listed = fieldtui(home, "county", "token", "list", "--json")
    data = json.loads(listed.stdout)
    assert data["tokens"][0]["unit"] == A and data["tokens"][0]["revoked"] is None
    assert token not in listed.stdout and token_hash(token) not in listed.stdout
    # a second token for another unit, and the unit list
    fieldtui(home, "county", "token", "add", B)
    fieldtui(home, "county", "unit", "add", "太平镇")
    units = json.loads(fieldtui(home, "county", "unit", "list", "--json").stdout)["units"]
    assert [(u["unit"], u["tokens"]) for u in units] == [
        ("丰收镇", 1),
        ("太平镇", 0),
        ("长乐镇", 1),
    ]


def test_a_token_never_begins_with_a_dash_and_pastes_into_config_set(tmp_path: Path) -> None:
    """One urlsafe token in 64 begins with "-": on the command line that reads as an option
    (found when `config set token` failed in the review end-to-end test)."""
    tokens = [new_token() for _ in range(2000)]  # without the rule, 2000 hit "-" ~31 times
    assert not [t for t in tokens if t.startswith("-")]
    assert all(TOKEN_RE.fullmatch(t) for t in tokens) and len(set(tokens)) == len(tokens)
    home = tmp_path / "township"
    r = fieldtui(home, "config", "set", "token", tokens[0], check=False)
    assert r.returncode == 0, r.stderr


def test_bad_unit_names_are_refused(tmp_path: Path) -> None:
    home = tmp_path / "county"
    for bad in ("", "   ", "x" * 61, "a\tb"):
        r = fieldtui(home, "county", "token", "add", bad, check=False)
        assert r.returncode == 2 and "unit" in r.stderr and r.stdout == "", bad


def test_revoked_token_gets_401_at_once(tmp_path: Path, factory, client) -> None:
    srv = start_county(tmp_path / "county", units=[A])
    try:
        b = factory.seal(A)
        token = srv.tokens[A]
        r = srv.cli("county", "token", "revoke", A)
        assert "1" in r.stdout
        resp = client.post(srv.url + API_PATH, content=b.body, headers=b.headers(token))
        assert resp.status_code == 401
        assert srv.cli("county", "token", "revoke", A, check=False).returncode == 2
        # a new token works while the server runs
        new = srv.cli("county", "token", "add", A).stdout.strip()
        resp = client.post(srv.url + API_PATH, content=b.body, headers=b.headers(new))
        assert resp.status_code == 201
    finally:
        srv.stop()


def test_no_token_appears_in_logs_or_answers(tmp_path: Path, factory, client) -> None:
    srv = start_county(tmp_path / "county", units=[A, B])
    wrong = "W" * 43
    try:
        b = factory.seal(A)
        answers = []
        for token in (srv.tokens[A], srv.tokens[A], srv.tokens[B], wrong, srv.tokens[A] + "x"):
            r = client.post(srv.url + API_PATH, content=b.body, headers=b.headers(token))
            answers.append(r.text + json.dumps(dict(r.headers)))
        bad = factory.seal(A, change=lambda c: c["visits"][0].update(total=1))
        r = client.post(srv.url + API_PATH, content=bad.body, headers=bad.headers(srv.tokens[A]))
        answers.append(r.text)
    finally:
        srv.stop()
    log = srv.log()
    assert "POST /api/v1/batches 201" in log and "unit=丰收镇" in log  # the log is there
    for secret in (srv.tokens[A], srv.tokens[B], wrong):
        assert secret not in log
        assert all(secret not in a for a in answers)
        assert token_hash(secret) not in log
    assert "Bearer" not in log and "authorization" not in log.lower()


def test_tokens_are_compared_against_every_hash() -> None:
    """Constant time: the comparison never stops at the first match or mismatch."""
    calls: list[tuple[bytes, bytes]] = []
    import fieldtui.county.auth as auth

    real = auth.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    rows = [TokenHash(i, f"u{i}", token_hash(f"token-{i:020d}")) for i in range(5)]
    auth.hmac.compare_digest = spy  # type: ignore[assignment]
    try:
        assert match_token(f"token-{0:020d}", rows) == rows[0]
        assert len(calls) == 5
        calls.clear()
        assert match_token("z" * 30, rows) is None
        assert len(calls) == 5
    finally:
        auth.hmac.compare_digest = real  # type: ignore[assignment]


def test_bearer_parsing_refuses_what_is_not_a_token() -> None:
    assert bearer_token(None) is None
    assert bearer_token("") is None
    assert bearer_token("Bearer") is None
    assert bearer_token("Bearer short") is None
    assert bearer_token("Bearer " + "令" * 30) is None
    assert bearer_token("Bearer " + "a" * 300) is None
    assert bearer_token("Token " + "a" * 40) is None
    assert bearer_token("bearer " + "a" * 40) == "a" * 40


def test_sigterm_and_sigint_stop_the_server_cleanly(tmp_path: Path, factory, client) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        srv = start_county(tmp_path / f"county-{sig}", units=[A])
        b = factory.seal(A)
        assert (
            client.post(
                srv.url + API_PATH, content=b.body, headers=b.headers(srv.tokens[A])
            ).status_code
            == 201
        )
        t0 = time.monotonic()
        code = srv.stop(sig, timeout=15)
        assert code == 0, srv.log()
        assert time.monotonic() - t0 < 5
        assert "Application shutdown complete" in srv.log()
        with open_county(srv.home) as store:
            assert store.copies() == {b.batch_id: 1}
            assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        try:
            httpx.get(srv.url + "/api/v1/health", timeout=1)
            raise AssertionError("still answering")
        except httpx.TransportError:
            pass
