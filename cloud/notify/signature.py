"""The webhook signature, as Stripe and GitHub do it: HMAC-SHA256 over ``{t}.{body}``.

Header ``X-Kfleet-Signature: t=<unix seconds>,v1=<hex digest>``. Signing the timestamp with
the body lets a receiver refuse an old request replayed by someone who captured it (check
``t`` is within a few minutes); a redelivery of the same notice carries the same ``key`` in
the body, so a receiver drops duplicates by key. ``verify`` is the reference the docs'
sample follows.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Kfleet-Signature"
KEY_HEADER = "X-Kfleet-Notice-Key"
#: how far from the receiver's clock a signature's ``t`` may be, seconds
DEFAULT_TOLERANCE_S = 300


class BadSignature(ValueError):
    """The request is not signed with our secret, or it is too old (or from the future)."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: bytes, header: str, body: bytes, now: float, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> int:
    """Check ``header`` against ``body``; returns its timestamp or raises :class:`BadSignature`."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as err:
        raise BadSignature(f"malformed {HEADER} header: expected t=<unix>,v1=<hex>") from err
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise BadSignature("signature does not match the body (wrong secret or altered body)")
    if abs(now - timestamp) > tolerance_s:
        raise BadSignature(f"signature time {timestamp} is more than {tolerance_s} s from now")
    return timestamp
