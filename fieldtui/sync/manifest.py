"""Checksums a county clerk can verify: ``SHA256SUMS.txt`` (the format ``sha256sum -c`` reads) and
a JSON manifest with the batch's identity, each file's size and SHA-256.

Verification works on a folder of exported files; one changed byte in any listed file is found.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_SCHEMA = "fieldtui.manifest/1"


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    role: str
    size: int
    sha256: str


def entry(name: str, role: str, data: bytes) -> Entry:
    return Entry(name, role, len(data), hashlib.sha256(data).hexdigest())


def sha256sums(entries: Sequence[Entry]) -> bytes:
    """``<hex>  <name>`` per line, as GNU ``sha256sum`` writes and ``sha256sum -c`` checks."""
    return "".join(f"{e.sha256}  {e.name}\n" for e in entries).encode("utf-8")


def manifest_json(batch: Mapping[str, Any], digest: str, entries: Sequence[Entry]) -> bytes:
    doc = {
        "schema": MANIFEST_SCHEMA,
        "batch_id": batch["batch_id"],
        "unit": batch["unit"],
        "campaign_id": batch["campaign_id"],
        "period": batch["period"]["label"],
        "sealed_at": batch["sealed_at"],
        "content_hash": batch["content_hash"],
        "batch_sha256": digest,
        "files": [
            {"name": e.name, "role": e.role, "size": e.size, "sha256": e.sha256} for e in entries
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class Problem:
    name: str
    problem: str  # "missing", "size", "sha256", "unsafe name"

    def __str__(self) -> str:
        return f"{self.name}: {self.problem}"


def _check(folder: Path, name: str, size: int | None, sha: str) -> Problem | None:
    if Path(name).name != name or name in ("", ".", ".."):
        return Problem(name, "unsafe name")
    path = folder / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Problem(name, "missing")
    if size is not None and len(data) != size:
        return Problem(name, "size")
    if hashlib.sha256(data).hexdigest() != sha:
        return Problem(name, "sha256")
    return None


def verify_manifest(folder: Path, manifest: Path) -> list[Problem]:
    """Every file the JSON manifest lists, checked in ``folder``; an empty list means all good."""
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    if doc.get("schema") != MANIFEST_SCHEMA:
        return [Problem(manifest.name, "not a fieldtui manifest")]
    out = []
    for f in doc["files"]:
        p = _check(folder, f["name"], f["size"], f["sha256"])
        if p is not None:
            out.append(p)
    return out


def verify_sums(folder: Path, sums: Path) -> list[Problem]:
    """Every line of a SHA256SUMS file checked in ``folder`` (like ``sha256sum -c``)."""
    out = []
    for line in sums.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        sha, sep, name = line.partition("  ")
        if not sep:
            sha, sep, name = line.partition(" *")
        if not sep or len(sha) != 64:
            out.append(Problem(line[:80], "malformed line"))
            continue
        p = _check(folder, name, None, sha.lower())
        if p is not None:
            out.append(p)
    return out
