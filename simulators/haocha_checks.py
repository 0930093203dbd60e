"""What the simulated provincial 好差评 platform checks: the signature of a request and the
fields of a rating. Written from the wire format in docs/haocha.md, not from our client, so a
contract test catches the two drifting apart.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

#: 评价渠道: the hall's window pad, a self-service kiosk, a citizen's phone (QR code)
CHANNELS = ("window", "kiosk", "mobile")
#: reason codes (评价原因) the platform knows; free text goes in ``comment``
_REASON = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SOURCE_ID = re.compile(r"^[A-Za-z0-9:._/-]{1,128}$")
_NONCE = re.compile(r"^[A-Za-z0-9]{16,64}$")
#: a rating rated longer ago than this is refused (the platform closes a period's figures)
MAX_AGE = timedelta(days=90)
MAX_SKEW = timedelta(minutes=5)


def string_to_sign(method: str, path: str, app_id: str, ts: str, nonce: str, body: bytes) -> bytes:
    """``METHOD\\nPATH\\nAPP_ID\\nTIMESTAMP\\nNONCE\\n`` followed by the raw body."""
    head = "\n".join((method.upper(), path, app_id, ts, nonce)) + "\n"
    return head.encode() + body


def signature(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Refusal:
    """A 4xx answer: ``code`` for machines, ``message`` for the operator who reads it."""

    status: int
    code: str
    message: str
    field: str = ""

    def body(self) -> dict[str, Any]:
        out = {"code": self.code, "message": self.message}
        return {**out, "field": self.field} if self.field else out


def check_headers(headers: dict[str, str], now: float, nonces: set[str]) -> Refusal | str:
    """The timestamp and nonce are fresh; returns the nonce (to remember once signed)."""
    ts, nonce = headers.get("x-timestamp", ""), headers.get("x-nonce", "")
    if not ts.isdigit():
        return Refusal(401, "MissingTimestamp", "X-Timestamp must be Unix seconds")
    if abs(now - int(ts)) > MAX_SKEW.total_seconds():
        return Refusal(401, "StaleTimestamp", f"X-Timestamp {ts} is more than 5 min off")
    if not _NONCE.match(nonce):
        return Refusal(401, "MissingNonce", "X-Nonce must be 16..64 letters or digits")
    if nonce in nonces:
        return Refusal(401, "ReplayedNonce", f"X-Nonce {nonce} was used already")
    return nonce


def check_rating(body: Any, now: datetime) -> Refusal | dict[str, Any]:
    """The rating as stored, or why it is refused (400: resending it cannot help)."""
    if not isinstance(body, dict):
        return Refusal(400, "InvalidBody", "the body must be a JSON object")
    for name in ("sourceId", "siteCode", "level", "channel", "ratedAt"):
        if body.get(name) in (None, ""):
            return Refusal(400, "MissingField", f"{name} is required", name)
    if not isinstance(body["sourceId"], str) or not _SOURCE_ID.match(body["sourceId"]):
        return Refusal(400, "InvalidField", "sourceId: 1..128 of A-Z a-z 0-9 : . _ / -", "sourceId")
    level = body["level"]
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        return Refusal(400, "InvalidLevel", f"level must be 1..5, got {level!r}", "level")
    if body["channel"] not in CHANNELS:
        msg = f"channel must be one of {list(CHANNELS)}, got {body['channel']!r}"
        return Refusal(400, "InvalidChannel", msg, "channel")
    reasons = body.get("reasons", [])
    if not isinstance(reasons, list) or not all(
        isinstance(r, str) and _REASON.match(r) for r in reasons
    ):
        return Refusal(400, "InvalidReason", "reasons must be a list of reason codes", "reasons")
    if level <= 2 and not reasons:  # 国办发〔2019〕51号: a 差评 says why
        return Refusal(400, "ReasonRequired", "a rating of 1 or 2 needs a reason", "reasons")
    return _check_time(body, now)


def _check_time(body: dict[str, Any], now: datetime) -> Refusal | dict[str, Any]:
    try:
        rated = datetime.fromisoformat(str(body["ratedAt"]))
    except ValueError:
        return Refusal(400, "InvalidTime", "ratedAt must be ISO 8601 with an offset", "ratedAt")
    if rated.tzinfo is None:
        return Refusal(400, "InvalidTime", "ratedAt needs a UTC offset", "ratedAt")
    if rated > now + MAX_SKEW:
        return Refusal(400, "InvalidTime", "ratedAt is in the future", "ratedAt")
    if rated < now - MAX_AGE:
        return Refusal(400, "TooOld", "ratedAt is more than 90 days ago", "ratedAt")
    keep = ("sourceId", "siteCode", "siteName", "windowNo", "staffNo", "serviceCode", "caseNo")
    out: dict[str, Any] = {k: str(body.get(k) or "") for k in keep}
    out.update(
        level=body["level"],
        reasons=list(body.get("reasons", [])),
        comment=str(body.get("comment") or "")[:500],
        channel=body["channel"],
        ratedAt=rated.astimezone(UTC).isoformat(),
    )
    return out
