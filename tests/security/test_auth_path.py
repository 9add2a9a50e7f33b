"""Tokens on the county's request path (issue 5, item 9), in process so the comparison can be
watched: every request's token is compared with ``hmac.compare_digest`` against every active
token's hash — the same number of comparisons for a right, a wrong and a near-miss token — and
the presented token never reaches the store or the database file in the clear.

(401 for missing, wrong, malformed and non-ASCII tokens and 403 for another township's token are
tested against the real server in tests/county/test_push.py; logs and answers in
tests/county/test_tokens.py.)
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

import httpx
import pytest

from fieldtui.campaigns import load_all
from fieldtui.county.auth import new_token, token_hash
from fieldtui.county.intake import now_iso
from fieldtui.county.server import County, ServerOptions, build_app
from fieldtui.county.store import open_county
from fieldtui.domain.batch import API_PATH
from tests.support.batches import BatchFactory

UNITS = ("丰收镇", "长乐镇", "太平镇", "双河镇", "三合镇")


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> BatchFactory:
    return BatchFactory(tmp_path_factory.mktemp("township"), stations=6)


async def test_every_request_is_compared_in_constant_time_against_every_token(
    tmp_path: Path, factory: BatchFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "county"
    tokens: dict[str, str] = {}
    with open_county(home) as store:
        for unit in UNITS:
            tokens[unit] = new_token()
            store.add_token(unit, token_hash(tokens[unit]), now_iso())
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    county = County(open_county(home), load_all(home),
                    ServerOptions(ip_rate=0, token_rate=0))  # fmt: skip
    transport = httpx.ASGITransport(app=build_app(county))
    good = tokens[UNITS[2]]
    near = good[:-1] + ("A" if good[-1] != "A" else "B")
    b = factory.seal(UNITS[2])
    hashes = {token_hash(t).encode() for t in tokens.values()}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://county") as client:
            for token, status in ((good, 201), ("w" * 43, 401), (near, 401), (good, 200)):
                calls.clear()
                r = await client.post(API_PATH, content=b.body, headers=b.headers(token))
                assert r.status_code == status, r.text
                # One comparison per active token, whether it matched first, last or never
                # (the digest check of a stored batch compares too: those are not counted).
                against = [(x, y) for x, y in calls if y in hashes]
                assert len(against) == len(UNITS), (status, len(against))
                # What is compared is the presented token's hash, never the token itself.
                assert {x for x, _y in against} == {token_hash(token).encode()}
    finally:
        county.close()
    disk = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    for t in tokens.values():
        assert t.encode() not in disk and token_hash(t).encode() in disk
