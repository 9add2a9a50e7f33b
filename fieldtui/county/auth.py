"""Township tokens: made once, shown once, stored only as a hash, compared in constant time.

A token is ``secrets.token_urlsafe(32)`` (256 bits), so a plain SHA-256 is a safe thing to store:
nobody can search that space, and no salt or slow hash is needed. The server hashes what a request
presents and compares it with every active hash using ``hmac.compare_digest``, without stopping
at the first match, so the time taken says nothing about how close a guess was.

Nothing here logs or formats a token; a refused token is never echoed back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from fieldtui.county.store import TokenHash

TOKEN_BYTES = 32
# What a presented token may look like before it is even hashed: URL-safe base64, bounded.
TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]{16,256}")
_BEARER = re.compile(r"Bearer +(\S+) *", re.IGNORECASE)


def new_token() -> str:
    """A new token that does not begin with ``-``: one in 64 would, and pasted into
    ``fieldtui config set token …`` it reads as an option and is refused (or ``-``, "read it
    from standard input"). Drawing again costs under 0.03 bits of the 256."""
    while (token := secrets.token_urlsafe(TOKEN_BYTES)).startswith("-"):
        pass
    return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None if missing or malformed.

    Headers arrive decoded as latin-1, so a non-ASCII token is refused here and never reaches
    ``encode("ascii")``.
    """
    if not header:
        return None
    m = _BEARER.fullmatch(header)
    if m is None:
        return None
    token = m.group(1)
    if not TOKEN_RE.fullmatch(token):
        return None
    return token


def match_token(token: str, active: Iterable[TokenHash]) -> TokenHash | None:
    """The active token whose hash matches, compared in constant time against every one."""
    presented = token_hash(token).encode("ascii")
    found: TokenHash | None = None
    for row in active:
        if hmac.compare_digest(presented, row.hash.encode("ascii")) and found is None:
            found = row
    return found
