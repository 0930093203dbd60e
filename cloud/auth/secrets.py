"""Random secrets and the ``prefix_id_secret`` tokens built from them.

Every secret the cloud mints is 256 random bits, so its SHA-256 is enough to store it (a slow
KDF guards only low-entropy human passwords: :mod:`cloud.people.passwords`). Comparisons are
constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

#: ``kfa`` API token, ``kfe`` enrollment token; the id is 16 hex digits, the secret 43
#: url-safe base64 characters.
TOKEN_RE = re.compile(r"^(kfa|kfe)_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class ParsedToken:
    prefix: str
    id: str
    secret: str


def new_id() -> str:
    return secrets.token_hex(8)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def make_token(prefix: str, token_id: str, secret: str) -> str:
    return f"{prefix}_{token_id}_{secret}"


def parse_token(text: str) -> ParsedToken | None:
    """The parts of a well-formed token, or None (the caller says what a token looks like)."""
    m = TOKEN_RE.fullmatch(text.strip())
    return ParsedToken(m[1], m[2], m[3]) if m else None
