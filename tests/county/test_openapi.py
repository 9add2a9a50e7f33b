"""The OpenAPI description: served, kept in the repository, exact, and schemathesis-clean."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from fieldtui.county.openapi import ERROR_CODES, document, document_text
from fieldtui.domain.batch import API_PATH, BATCH_SCHEMA, ERROR_SCHEMA, RECEIPT_SCHEMA, UUID_RE
from fieldtui.domain.review import REVIEW_SCHEMA
from tests.support.batches import push_headers
from tests.support.counts import count
from tests.support.county_server import CountyServer, start_county

REPO = Path(__file__).resolve().parents[2]
A = "丰收镇"


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CountyServer]:
    srv = start_county(tmp_path_factory.mktemp("county-api"), units=[A])
    try:
        yield srv
    finally:
        srv.stop()


def test_served_description_equals_the_copy_in_the_repository(api_server, client) -> None:
    served = client.get(api_server.url + "/openapi.json").json()
    kept = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert served == kept
    assert (REPO / "docs" / "openapi.json").read_text(encoding="utf-8") == document_text(), (
        "docs/openapi.json is stale: run fieldtui county openapi --out docs/openapi.json"
    )


def test_description_embeds_the_wire_schemas_exactly() -> None:
    schemas = document()["components"]["schemas"]
    assert schemas["Batch"] == BATCH_SCHEMA.json_schema()
    assert schemas["Receipt"] == RECEIPT_SCHEMA.json_schema()
    assert schemas["Error"] == ERROR_SCHEMA.json_schema()
    assert schemas["Review"] == REVIEW_SCHEMA.json_schema()


@pytest.fixture(scope="module")
def api_schema(api_server: CountyServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(api_server.url + "/openapi.json")


lazy = schemathesis.pytest.from_fixture("api_schema")


@lazy.parametrize()
@settings(
    max_examples=count(25, 300),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_schemathesis_finds_no_5xx_and_no_response_breaking_the_schema(case, api_server) -> None:
    """Every documented check but positive_data_acceptance: a batch that fits the schema is still
    refused unless its digest, content hash and totals agree, which a schema cannot express.

    Generated bodies mostly stop at the header and digest checks, so each one is also sent again
    with a matching digest, key and unit, to reach the batch validation behind them."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    is_push = case.operation.path.endswith("batches")
    is_file = "/files" in case.operation.path  # the batch files: past the token to the checks
    headers = {"Authorization": f"Bearer {api_server.tokens[A]}"} if is_push or is_file else None
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance], timeout=30)
    if is_push and case.method == "POST" and isinstance(case.body, dict):
        body = dict(case.body)
        if "unit" in body:
            body["unit"] = A
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        key = body.get("batch_id")
        if not (isinstance(key, str) and re.fullmatch(UUID_RE, key)):
            key = "00000000-0000-4000-8000-000000000000"
        with httpx.Client(trust_env=False, timeout=30) as c:
            r = c.post(
                api_server.url + API_PATH,
                content=raw,
                headers=push_headers(raw, api_server.tokens[A], key),
            )
        assert r.status_code in (403, 422), (r.status_code, r.text[:300])
        err = r.json()
        ERROR_SCHEMA.validate(err)
        assert err["error"] in ERROR_CODES
