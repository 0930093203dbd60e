"""Phone ratings by QR code: a token the cloud signs (HMAC-SHA256 with a key derived from its
``secret_key``) naming the site, ticket and window, valid until ``exp``. The token's random id
is the rating's dedupe key (``phone:<id>``): one rating per token, however often it is posted.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from cloud.errors import NotFound
from cloud.link_signing import LinkSigner

#: what a path segment ``/r/{token}`` may be (base64url, a dot, base64url)
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{8,600}\.[A-Za-z0-9_-]{16,64}$"


class TokenError(NotFound):
    """A token that is forged or damaged (the message says which, not why not): to its holder
    a link this hall never issued is a page that does not exist, as an expired one is."""


@dataclass(frozen=True)
class RatingGrant:
    """What a phone may rate."""

    site: str
    ticket_no: str = ""
    ticket_id: int | None = None
    window_no: str = ""
    staff_no: str = ""
    service_code: str = ""
    case_no: str = ""
    exp: int = 0  # unix seconds
    id: str = ""


class TokenSigner:
    def __init__(self, secret: str, ttl_s: int) -> None:
        self._links = LinkSigner(secret, "kfleet hall rating token v1", mac_bytes=24)
        self.ttl_s = ttl_s

    def issue(self, grant: RatingGrant, now: float | None = None) -> tuple[str, RatingGrant]:
        exp = int((now if now is not None else time.time()) + self.ttl_s)
        full = RatingGrant(**{**asdict(grant), "exp": exp, "id": secrets.token_hex(8)})
        return self._links.seal(json.dumps(asdict(full), separators=(",", ":")).encode()), full

    def read(self, token: str, now: float | None = None) -> RatingGrant:
        """The grant of a genuine, unexpired token; a :class:`TokenError` (422) or, once
        expired, a 404-worded refusal otherwise."""
        data = self._links.unseal(token)
        if data is None:
            raise TokenError(
                "this rating link is not valid (damaged or not issued by this hall): "
                "scan the QR code again"
            )
        try:
            raw: dict[str, Any] = json.loads(data)
            grant = RatingGrant(**raw)
        except (ValueError, TypeError):
            raise TokenError("this rating link is damaged: scan the QR code again") from None
        if grant.exp <= (now if now is not None else time.time()):
            raise NotFound("this rating link has expired (评价链接已过期)")
        return grant
