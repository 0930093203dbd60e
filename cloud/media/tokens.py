"""Bearer tokens of the media plane: a *publish token* lets one WHIP client publish one stream
(a device gets it in ``stream_start``, an operator's browser from the help API), a *view token*
lets one WHEP client watch one stream (the city monitoring platform, a kiosk in a call, any
standard WHEP player) without an account.

A token is ``kfm_<payload>.<mac>`` (:class:`cloud.link_signing.LinkSigner`): HMAC-SHA256 under
a key derived from the cloud's ``secret_key`` and the token's purpose, so a view token never
passes as a publish token, and nobody can forge one or stretch its expiry. Tokens are not
stored: revoke them all by rotating ``secret_key``; each expires on its own (short TTLs).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from cloud.errors import Forbidden, Unauthenticated
from cloud.link_signing import LinkSigner

PREFIX = "kfm_"
_PUBLISH, _VIEW = "media-publish", "media-view"
#: the longest a token may live (a view link for the city platform: one day)
MAX_TTL_S = 86_400


@dataclass(frozen=True, slots=True)
class Grant:
    """What a genuine, unexpired token allows."""

    stream_id: str
    expires_at: float
    #: who the view token was made for (audit and logs); empty for publish tokens
    viewer: str = ""


def is_media_token(token: str) -> bool:
    """Whether a bearer token is one of ours (not a person's API token)."""
    return token.startswith(PREFIX)


class MediaTokens:
    """Mint and check the media plane's tokens under the cloud's secret."""

    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._signers = {p: LinkSigner(secret, p, mac_bytes=24) for p in (_PUBLISH, _VIEW)}
        self._clock = clock

    def _mint(self, purpose: str, stream_id: str, ttl_s: float, viewer: str = "") -> str:
        if not 0 < ttl_s <= MAX_TTL_S:
            raise ValueError(f"a media token lives 1 s to {MAX_TTL_S} s, not {ttl_s}")
        body = {"s": stream_id, "e": int(self._clock() + ttl_s), "v": viewer}
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return PREFIX + self._signers[purpose].seal(raw)

    def mint_publish(self, stream_id: str, ttl_s: float) -> str:
        """A token for WHIP to ``stream_id`` (POST and DELETE of its sessions)."""
        return self._mint(_PUBLISH, stream_id, ttl_s)

    def mint_view(self, stream_id: str, ttl_s: float, viewer: str) -> str:
        """A token for WHEP of ``stream_id``; ``viewer`` names who it is for."""
        return self._mint(_VIEW, stream_id, ttl_s, viewer)

    def check_publish(self, token: str, stream_id: str) -> Grant:
        return self._check(_PUBLISH, token, stream_id)

    def check_view(self, token: str, stream_id: str) -> Grant:
        return self._check(_VIEW, token, stream_id)

    def _check(self, purpose: str, token: str, stream_id: str) -> Grant:
        """The grant of a genuine token for ``stream_id``; 401 when forged, damaged, of the
        other purpose or expired, 403 when made for another stream."""
        what = "publish" if purpose == _PUBLISH else "view"
        raw = self._signers[purpose].unseal(token.removeprefix(PREFIX))
        grant = _grant(raw) if token.startswith(PREFIX) and raw is not None else None
        if grant is None:
            source = "stream_start" if what == "publish" else "POST /api/v1/media/view-tokens"
            raise Unauthenticated(
                f"this is not a valid {what} token for the media relay: get a new one ({source})",
                "bad_media_token",
            )
        if grant.expires_at <= self._clock():
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(grant.expires_at))
            raise Unauthenticated(
                f"the {what} token expired at {when}: ask for a new one",
                "token_expired",
            )
        if grant.stream_id != stream_id:
            raise Forbidden(
                f"this {what} token is for another stream, not {stream_id}", "wrong_stream"
            )
        return grant


def _grant(raw: bytes) -> Grant | None:
    try:
        body = json.loads(raw)
        return Grant(str(body["s"]), float(body["e"]), str(body.get("v", "")))
    except (ValueError, KeyError, TypeError):
        return None
