"""``county import``: take e-mailed batches in through the same path as a push.

Accepted files:

- the batch ``.json`` exactly as sealed;
- the export ``.zip``: the batch JSON inside it is found by content (a JSON object whose
  ``schema`` is the batch schema id), and a manifest, if the zip has one, is verified first:
  every file it names must be in the zip with that SHA-256. A manifest is ``manifest.json``
  (``{"files": [{"name"|"path": ..., "sha256": ...}, ...]}``, ``{"files": {name: sha256}}`` or
  ``{name: sha256}``) or a ``sha256sum``-style text file (``SHA256SUMS``, ``manifest.txt``,
  ``*.sha256``: ``<hex>  <name>`` per line);
- the ``.eml`` message: its ``.json`` and ``.zip`` attachments, as above.

Scans of the stamped pages (PDF, PNG, JPEG by their first bytes) travel with the batch: in a zip
with one batch, every scan the manifest lists (its SHA-256 verified with the rest); in an e-mail,
every scan attachment its ``SHA256SUMS`` attachment lists with the same SHA-256 (a listed scan
that does not match refuses the message; an unlisted one is not taken, and named in the
result). They are stored through the same path as a pushed file (``intake.check_file`` +
``intake.store_file``).

Sizes are bounded (a zip bomb or a huge attachment is refused before it is read whole).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from fieldtui.domain.batch import SCHEMA_ID, sha256_hex
from fieldtui.domain.errors import Refusal

MAX_MEMBERS = 200
MANIFEST_NAMES = ("manifest.json", "manifest.txt", "sha256sums", "sha256sums.txt")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class UnreadableFile(Refusal):
    """A file that cannot be imported; the message names the file (and member)."""


@dataclass(frozen=True, slots=True)
class ScanFile:
    """A scan carried with a batch, verified against the manifest's SHA-256."""

    name: str  # as the county stores it: a safe name, the export's prefix taken off
    data: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One batch body found in a file; ``where`` names it for messages."""

    where: str
    body: bytes
    files: tuple[ScanFile, ...] = ()
    unlisted: tuple[str, ...] = ()  # scans beside the batch that no manifest lists: not taken


SCAN_MARK = (
    "_盖章扫描件_"  # how the township's export names a scan: {unit}_{period}_盖章扫描件_{name}
)


def scan_name(member: str) -> str:
    """The name a carried scan is stored under: the township's own name for it when the export's
    prefix is recognised, made safe and short enough for the endpoint's limit."""
    from fieldtui.domain.batch import FILE_NAME_MAX_BYTES
    from fieldtui.domain.filenames import safe_filename, split_name

    base = PurePosixPath(member.replace("\\", "/")).name
    if SCAN_MARK in base:
        base = base.split(SCAN_MARK, 1)[1]
    stem, ext = split_name(base)
    return safe_filename(stem, ext, max_bytes=FILE_NAME_MAX_BYTES, fallback="scan")


def _scans(members: dict[str, bytes], listed: dict[str, str], where: str) -> tuple[ScanFile, ...]:
    """The members that are scans and listed (verified) in a manifest."""
    from fieldtui.domain.submission import sniff_scan

    out = []
    for name, data in members.items():
        if sniff_scan(data) is None or name not in listed:
            continue
        digest = sha256_hex(data)
        if digest != listed[name]:
            raise UnreadableFile(f"{where}: {name} does not match its SHA-256 (changed or damaged)")
        out.append(ScanFile(scan_name(name), data, digest))
    return tuple(out)


def _is_batch(data: bytes) -> bool:
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(obj, dict) and obj.get("schema") == SCHEMA_ID


def _manifest_pairs(name: str, data: bytes) -> dict[str, str]:
    """(file name → sha256) pairs from a manifest, or {} if it holds none."""
    text = data.decode("utf-8-sig", errors="replace")
    pairs: dict[str, str] = {}
    if name.lower().endswith(".json"):
        try:
            obj: Any = json.loads(text)
        except ValueError:
            raise UnreadableFile(f"{name}: the manifest is not valid JSON") from None
        if isinstance(obj, dict) and "files" in obj:
            obj = obj["files"]
        if isinstance(obj, dict):
            for k, v in obj.items():
                if isinstance(k, str) and isinstance(v, str) and _HEX64.fullmatch(v):
                    pairs[k] = v.lower()
        elif isinstance(obj, list):
            for entry in obj:
                if not isinstance(entry, dict):
                    continue
                fname = next(
                    (entry[k] for k in ("name", "path", "file", "filename") if k in entry), None
                )
                digest = next(
                    (entry[k] for k in ("sha256", "sha-256", "digest", "hash") if k in entry),
                    None,
                )
                if isinstance(fname, str) and isinstance(digest, str):
                    digest = digest.removeprefix("sha256:")
                    if _HEX64.fullmatch(digest):
                        pairs[fname] = digest.lower()
        return pairs
    for line in text.splitlines():
        m = re.fullmatch(r"\s*([0-9a-fA-F]{64})\s+\*?(.+?)\s*", line)
        if m:
            pairs[m.group(2)] = m.group(1).lower()
    return pairs


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, where: str) -> bytes:
    if info.file_size > limit:
        raise UnreadableFile(f"{where}: {info.filename} is over the limit of {limit} bytes")
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"{where}: {info.filename} is over the limit of {limit} bytes")
    return data


def from_zip(data: bytes, where: str, limit: int) -> list[Candidate]:
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnreadableFile(f"{where}: not a readable zip file") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_MEMBERS:
            raise UnreadableFile(f"{where}: more than {MAX_MEMBERS} files in the zip")
        try:
            members = {i.filename: _read_member(zf, i, limit, where) for i in infos}
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise UnreadableFile(f"{where}: the zip is damaged ({exc})") from None
    manifests = [
        n
        for n in members
        if PurePosixPath(n).name.lower() in MANIFEST_NAMES or n.lower().endswith(".sha256")
    ]
    listed: dict[str, str] = {}
    for mname in manifests:
        pairs = _manifest_pairs(mname, members[mname])
        if not pairs:
            raise UnreadableFile(f"{where}: {mname} lists no SHA-256 sums")
        base = str(PurePosixPath(mname).parent)
        for fname, digest in pairs.items():
            if fname == PurePosixPath(mname).name:
                continue  # a manifest cannot hold its own sum
            candidates = [fname, str(PurePosixPath(base) / fname) if base != "." else fname]
            found = next((c for c in candidates if c in members), None)
            if found is None:
                raise UnreadableFile(f"{where}: {fname} is in the manifest but not in the zip")
            if sha256_hex(members[found]) != digest:
                raise UnreadableFile(
                    f"{where}: {fname} does not match its SHA-256 in {mname} (changed or damaged)"
                )
            listed[found] = digest
    out = [
        Candidate(f"{where}:{name}", body)
        for name, body in members.items()
        if name.lower().endswith(".json") and name not in manifests and _is_batch(body)
    ]
    if not out:
        raise UnreadableFile(f"{where}: no batch JSON ({SCHEMA_ID}) in the zip")
    if len(out) == 1:  # one period per zip: its scans are that batch's
        out[0] = Candidate(out[0].where, out[0].body, _scans(members, listed, where))
    return out


def from_eml(data: bytes, where: str, limit: int) -> list[Candidate]:
    from email import policy
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(data)
    out: list[Candidate] = []
    loose: dict[str, bytes] = {}  # attachments that may be scans
    listed: dict[str, str] = {}
    for part in msg.iter_attachments():
        name = part.get_filename() or ""
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        label = f"{where}:{name or 'attachment'}"
        if len(payload) > limit:
            raise UnreadableFile(f"{label}: over the limit of {limit} bytes")
        lower = name.lower()
        if lower.endswith(".zip"):
            out.extend(from_zip(payload, label, limit))
        elif lower.endswith(".json") and _is_batch(payload):
            out.append(Candidate(label, payload))
        elif "sha256sums" in lower or lower.endswith(".sha256"):
            listed.update(_manifest_pairs(name, payload))
        elif name:
            loose[name] = payload
    if not out:
        raise UnreadableFile(f"{where}: the message has no batch attachment (.json or .zip)")
    if len(out) == 1 and not out[0].files:  # the scans attached beside the one batch
        c = out[0]
        out[0] = Candidate(c.where, c.body, _scans(loose, listed, where), _unlisted(loose, listed))
    return out


def _unlisted(members: dict[str, bytes], listed: dict[str, str]) -> tuple[str, ...]:
    """Attachments that look like scans but no manifest lists (attached by hand, or a picture
    in the signature): not taken, but named, so the county can ask for them properly."""
    from fieldtui.domain.submission import sniff_scan

    return tuple(n for n, d in members.items() if n not in listed and sniff_scan(d) is not None)


def read_candidates(path: Path, limit: int) -> list[Candidate]:
    """The batch bodies in ``path`` (a .json, .zip or .eml file)."""
    where = str(path)
    try:
        size = path.stat().st_size
        if size > limit * 4:
            raise UnreadableFile(f"{where}: the file is too large to be a batch ({size} bytes)")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{where}: {exc.strerror or exc}") from None
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() == ".zip":
        return from_zip(data, where, limit)
    if path.suffix.lower() == ".eml":
        return from_eml(data, where, limit)
    if len(data) > limit:
        raise UnreadableFile(f"{where}: over the limit of {limit} bytes")
    # A .json (or anything else): the body exactly as it is; validation names what is wrong.
    return [Candidate(where, data)]


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """The files named, with folders expanded to their .json/.zip/.eml files (sorted)."""
    for p in paths:
        if p.is_dir():
            yield from sorted(
                f for f in p.iterdir() if f.suffix.lower() in (".json", ".zip", ".eml")
            )
        else:
            yield p
