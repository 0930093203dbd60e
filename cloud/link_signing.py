"""Links the cloud signs for people without an account: ``<payload>.<mac>``, payload and mac
base64url, mac = HMAC-SHA256 under a key derived from the cloud's ``secret_key`` and the
link's purpose (a ticket link never verifies as a rating link). Whoever holds the paper may
follow the link; nobody can forge another. Used by the ticket QR (``/t/``) and the phone
rating QR (``/r/``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    """``seal(data) -> token`` and ``unseal(token) -> data | None`` for one purpose."""

    def __init__(self, secret: str, purpose: str, mac_bytes: int = 32) -> None:
        self._key = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
        self._mac_bytes = mac_bytes

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return b64(digest[: self._mac_bytes])

    def seal(self, data: bytes) -> str:
        payload = b64(data)
        return f"{payload}.{self._mac(payload)}"

    def unseal(self, token: str) -> bytes | None:
        """The data of a genuine token; None when forged or damaged (callers say which link)."""
        payload, _, mac = token.partition(".")
        if not mac or not hmac.compare_digest(self._mac(payload).encode(), mac.encode()):
            return None
        try:
            return unb64(payload)
        except (binascii.Error, ValueError):
            return None
