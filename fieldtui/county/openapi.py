"""The OpenAPI 3.1 description of the county endpoint, written by hand around the wire schemas.

The request and response bodies are the very schemas the server validates with
(``BATCH_SCHEMA``, ``RECEIPT_SCHEMA``, ``ERROR_SCHEMA`` from ``fieldtui.domain.batch``), so the
description cannot drift from the code. The served document (``/openapi.json``) and the copy in the
repository (``docs/openapi.json``, regenerated with ``fieldtui county openapi --out``) are compared
by a test.
"""

from __future__ import annotations

import json
from typing import Any

from fieldtui.domain.batch import (
    API_PATH,
    BATCH_SCHEMA,
    ERROR_SCHEMA,
    FILE_LIST_SCHEMA,
    FILE_NAME_MAX_BYTES,
    FILE_RECEIPT_SCHEMA,
    FILES_PATH,
    RECEIPT_SCHEMA,
    UUID_RE,
)
from fieldtui.domain.review import REVIEW_SCHEMA
from fieldtui.domain.submission import SCAN_MAX_BYTES

HEALTH_PATH = "/api/v1/health"
REVIEW_PATH = API_PATH + "/{batch_id}/review"
FILE_PATH = FILES_PATH + "/{name}"
OPENAPI_PATH = "/openapi.json"

# Every error code the endpoint answers with, so a client can show its own words for each.
ERROR_CODES: dict[str, str] = {
    "unauthorized": "401: the Authorization header is missing, malformed or names no active token",
    "wrong_unit": "403: the token belongs to another unit than the batch's `unit`",
    "forbidden": "403: the batch asked for belongs to another township than the token's",
    "not_found": "404: no batch with this id was received",
    "request_timeout": "408: the request body stalled or took too long; retry",
    "in_flight": "409: a request with the same Idempotency-Key is still being processed; retry",
    "too_large": "413: the body is over the server's limit",
    "unsupported_media_type": "415: the body must be sent as application/json, uncompressed",
    "not_a_scan": (
        "415: a batch file must be a PDF, PNG or JPEG (judged by its first bytes) named with "
        "its type's extension (.pdf, .png, .jpg or .jpeg); never retry"
    ),
    "invalid_name": "422: a batch file's name is not a safe file name",
    "invalid_header": "422: Idempotency-Key or Content-Digest missing or malformed",
    "digest_mismatch": "422: the body does not match its Content-Digest (changed or truncated)",
    "key_mismatch": "422: the Idempotency-Key differs from the body's batch_id",
    "invalid_batch": (
        "422: schema, campaign, rubric or totals wrong, text that is not Unicode, a batch whose "
        "supersedes is its own batch_id, or a sealed_at more than 24 hours after the county "
        "received it (the township's clock is wrong); `path` names the place; never retry"
    ),
    "conflicting_batch": "422: the batch id was already received with another digest; never retry",
    "conflicting_file": (
        "422: the batch has a file of this name (compared ignoring case) with other bytes; "
        "never retry"
    ),
    "rate_limited": "429: too many requests from this address or token; wait Retry-After seconds",
    "too_many_connections": (
        "429: this address already holds the most open connections allowed (sent as soon as "
        "the connection opens, before any request is read; then the connection is closed); "
        "wait Retry-After seconds"
    ),
    "unavailable": "503: the county database is busy or failing; nothing was stored; retry",
}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if headers:
        out["headers"] = headers
    return out


def document() -> dict[str, Any]:
    """The OpenAPI document as a dict (deterministic)."""
    retry_after = {
        "Retry-After": {
            "description": "seconds to wait before retrying",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    }
    receipt = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}
    }
    bearer_401 = _error(
        "missing, malformed or unknown token",
        {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    )
    batch_id_param = {
        "name": "batch_id",
        "in": "path",
        "required": True,
        "description": "the batch id (the Idempotency-Key it was sent with)",
        "schema": {"type": "string"},
    }
    file_receipt = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FileReceipt"}}}
    }
    codes = "\n".join(f"- `{k}` — {v}" for k, v in ERROR_CODES.items())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fieldtui county endpoint",
            "version": "1.0.0",
            "description": (
                "Receives the townships' sealed quarterly batches (fieldtui.batch/1). "
                "Each township has a bearer token; the token, not the batch text, fixes the unit. "
                "Batches are deduplicated by batch id: the same id and digest again returns the "
                "original receipt (200, duplicate=true); the same id with another digest is "
                "refused (422) and must not be retried. Retry 408, 409, 429 (after Retry-After), "
                "5xx and dropped connections with the same Idempotency-Key. Every path, "
                "health and this document included, is under the per-address rate limit, and "
                "one address may hold only so many open connections: beyond, a new connection "
                "is answered 429 too_many_connections and closed.\n\n"
                f"Error codes (`error` in the body):\n{codes}"
            ),
        },
        "paths": {
            API_PATH: {
                "post": {
                    "operationId": "submitBatch",
                    "summary": "Submit a sealed batch",
                    "security": [{"bearer": []}],
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": True,
                            "description": "the batch's batch_id",
                            "schema": {"type": "string", "pattern": f"^{UUID_RE}$"},
                        },
                        {
                            "name": "Content-Digest",
                            "in": "header",
                            "required": True,
                            "description": "RFC 9530 digest of the body: sha-256=:<base64>:",
                            "schema": {
                                "type": "string",
                                "pattern": "^sha-256=:[A-Za-z0-9+/]{43}=:$",
                            },
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "description": "the sealed canonical JSON bytes, unchanged",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}
                        },
                    },
                    "responses": {
                        "201": {"description": "stored; the receipt", **receipt},
                        "200": {
                            "description": "already stored: the original receipt, duplicate=true",
                            **receipt,
                        },
                        "401": _error(
                            "missing, malformed or unknown token",
                            {
                                "WWW-Authenticate": {
                                    "description": "Bearer",
                                    "schema": {"type": "string"},
                                }
                            },
                        ),
                        "403": _error("the token's unit differs from the batch's unit"),
                        "408": _error("the body stalled or took too long"),
                        "409": _error("the same key is still in flight; retry", retry_after),
                        "413": _error("the body is over the limit"),
                        "415": _error("not application/json"),
                        "422": _error("invalid headers or batch; `path` names the place"),
                        "429": _error("too many requests", retry_after),
                        "503": _error("database busy or failing; retry", retry_after),
                    },
                }
            },
            REVIEW_PATH: {
                "get": {
                    "operationId": "getReview",
                    "summary": "The county's verdicts and spot-check results for one batch",
                    "description": (
                        "A township reads the review of its own batches only: the verdict in "
                        "force (accepted, returned with the reason and stations, or accepted "
                        "with corrections), every earlier verdict, and for each station the "
                        "county sampled from this batch the township's score next to the "
                        "county's re-score, with the items that differ."
                    ),
                    "security": [{"bearer": []}],
                    "parameters": [
                        {
                            "name": "batch_id",
                            "in": "path",
                            "required": True,
                            "description": "the batch id (the Idempotency-Key it was sent with)",
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "the review (status pending until a verdict)",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Review"}
                                }
                            },
                        },
                        "401": _error(
                            "missing, malformed or unknown token",
                            {
                                "WWW-Authenticate": {
                                    "description": "Bearer",
                                    "schema": {"type": "string"},
                                }
                            },
                        ),
                        "403": _error("the batch belongs to another township"),
                        "404": _error("no batch with this id"),
                        "429": _error("too many requests", retry_after),
                        "503": _error("database busy or failing; retry", retry_after),
                    },
                }
            },
            FILE_PATH: {
                "put": {
                    "operationId": "putBatchFile",
                    "summary": "Add a file to one of the token's batches (the stamped scan)",
                    "description": (
                        "The scan of the stamped pages (PDF, PNG or JPEG, judged by its first "
                        f"bytes, at most {SCAN_MAX_BYTES} bytes) as the raw body; the name's "
                        "extension must agree with the content (.pdf, .png, .jpg or .jpeg), "
                        "else 415 not_a_scan. The batch must "
                        "have been received and belong to the token's township. Idempotent: the "
                        "same bytes again (under any name) return the original receipt (200, "
                        "duplicate=true); this name with other bytes is refused (422 "
                        "conflicting_file; names are compared ignoring case, as Windows "
                        "compares them: Scan.pdf is scan.pdf) and must not be retried; a new file gets 201. Retry "
                        "408, 409, 429, 5xx and dropped connections."
                    ),
                    "security": [{"bearer": []}],
                    "parameters": [
                        batch_id_param,
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "description": (
                                "a safe file name: no separators, no '..', no leading dot, no "
                                "control characters, a lower-case extension (.pdf, .png, .jpg or "
                                ".jpeg, agreeing with the content), at most "
                                f"{FILE_NAME_MAX_BYTES} bytes of UTF-8"
                            ),
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "Content-Digest",
                            "in": "header",
                            "required": True,
                            "description": "RFC 9530 digest of the body: sha-256=:<base64>:",
                            "schema": {
                                "type": "string",
                                "pattern": "^sha-256=:[A-Za-z0-9+/]{43}=:$",
                            },
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "description": "the file's bytes, unchanged",
                        "content": {
                            "application/octet-stream": {
                                "schema": {"type": "string", "format": "binary"}
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "stored; the file's receipt", **file_receipt},
                        "200": {
                            "description": "already stored: the original receipt, duplicate=true",
                            **file_receipt,
                        },
                        "401": bearer_401,
                        "403": _error("the batch belongs to another township"),
                        "404": _error("no batch with this id"),
                        "408": _error("the body stalled or took too long"),
                        "409": _error("the same file is still in flight; retry", retry_after),
                        "413": _error("the file is over the limit"),
                        "415": _error(
                            "not a PDF, PNG or JPEG, or the name's extension disagrees with it"
                        ),
                        "422": _error("bad name, digest header or digest, or a conflicting file"),
                        "429": _error("too many requests", retry_after),
                        "503": _error("database busy or failing; retry", retry_after),
                    },
                }
            },
            FILES_PATH: {
                "get": {
                    "operationId": "listBatchFiles",
                    "summary": "The files received for one of the token's batches",
                    "security": [{"bearer": []}],
                    "parameters": [batch_id_param],
                    "responses": {
                        "200": {
                            "description": "the receipts of the files, oldest first",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/FileList"}
                                }
                            },
                        },
                        "401": bearer_401,
                        "403": _error("the batch belongs to another township"),
                        "404": _error("no batch with this id"),
                        "429": _error("too many requests", retry_after),
                        "503": _error("database busy or failing; retry", retry_after),
                    },
                }
            },
            HEALTH_PATH: {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness",
                    "responses": {
                        "429": _error("too many requests", retry_after),
                        "200": {
                            "description": "the server is up",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"status": {"const": "ok"}},
                                        "required": ["status"],
                                        "additionalProperties": False,
                                    }
                                }
                            },
                        },
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Batch": BATCH_SCHEMA.json_schema(),
                "Receipt": RECEIPT_SCHEMA.json_schema(),
                "Error": ERROR_SCHEMA.json_schema(),
                "Review": REVIEW_SCHEMA.json_schema(),
                "FileReceipt": FILE_RECEIPT_SCHEMA.json_schema(),
                "FileList": FILE_LIST_SCHEMA.json_schema(),
            },
        },
    }


def document_text() -> str:
    """The document as it is kept in ``docs/openapi.json``."""
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
