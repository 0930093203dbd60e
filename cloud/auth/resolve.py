"""Turn a request's credentials into a :class:`Principal`, or say exactly what is wrong.

Three kinds of credentials, tried in this order:

- ``Authorization: Bearer kfa_…`` — an API token;
- ``Authorization: Basic base64(device_id:secret)`` — a device's credential (the same pair
  it uses as MQTT username and password);
- the ``kfleet_session`` cookie — a console login; unsafe methods must echo the session's
  CSRF token in ``X-CSRF-Token``.

No credentials at all gives ``None`` (the caller decides whether the route is public).
Credentials that are present but wrong never fall through to another kind: they are a 401
naming the problem.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.auth import secrets as tokens
from cloud.auth.principal import Principal, PrincipalKind
from cloud.db.identity import ApiToken, DeviceCredential, User, UserSession
from cloud.db.models import Device, Site
from cloud.errors import Unauthenticated
from fleet.access import PersonRole

SESSION_COOKIE = "kfleet_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: ``last_used_at`` / ``last_seen_at`` are written at most this often per credential
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Presented:
    """The credential-bearing parts of one request."""

    authorization: str | None
    session_cookie: str | None
    csrf_header: str | None
    method: str
    ip: str


@dataclass(frozen=True)
class SessionPolicy:
    idle_s: int
    absolute_s: int


@dataclass(frozen=True)
class Resolved:
    """A caller and what decides how long it may be kept (:mod:`cloud.auth.cache`)."""

    principal: Principal
    #: when the credential stops working on its own (None: never)
    expires_at: datetime | None = None
    #: a console session's CSRF token (unsafe methods must echo it)
    csrf: str | None = None


async def resolve(
    s: AsyncSession, req: Presented, policy: SessionPolicy, now: datetime
) -> Principal | None:
    """The caller, ``None`` without credentials, or :class:`Unauthenticated` saying why."""
    found = await resolve_full(s, req, policy, now)
    return found.principal if found else None


def credential_of(req: Presented) -> str | None:
    """The credential that :func:`resolve_full` would read (the cache's key), else None."""
    if req.authorization:
        return f"authorization:{req.authorization}"
    if req.session_cookie:
        return f"session:{req.session_cookie}"
    return None


async def resolve_full(
    s: AsyncSession, req: Presented, policy: SessionPolicy, now: datetime
) -> Resolved | None:
    """:func:`resolve`, with the credential's expiry and CSRF token."""
    if req.authorization:
        scheme, _, value = req.authorization.partition(" ")
        if scheme.lower() == "bearer":
            return await _api_token(s, value.strip(), req.ip, now)
        if scheme.lower() == "basic":
            return await _device(s, value.strip(), req.ip, now)
        raise Unauthenticated(
            f"the Authorization scheme {scheme[:20]!r} is not accepted: send 'Bearer <API "
            "token>' (integrations) or 'Basic <device id:secret>' (devices)",
            "bad_scheme",
        )
    if req.session_cookie:
        return await _session(s, req, policy, now)
    return None


def check_csrf(req: Presented, csrf: str | None) -> None:
    """Unsafe methods of a console session must echo its CSRF token."""
    if csrf is None or req.method.upper() in SAFE_METHODS:
        return
    if not (req.csrf_header and hmac.compare_digest(req.csrf_header, csrf)):
        raise Unauthenticated(
            f"a console request that changes something must carry the {CSRF_HEADER} header "
            "of its session; reload the console page",
            "csrf_missing",
        )


async def _api_token(s: AsyncSession, text: str, ip: str, now: datetime) -> Resolved:
    parsed = tokens.parse_token(text)
    if parsed is None or parsed.prefix != "kfa":
        raise Unauthenticated(
            "the bearer token is not a kfleet API token (kfa_<16 hex>_<43 characters>); "
            "copy it again from the console's API tokens page",
            "bad_token",
        )
    row = await s.get(ApiToken, parsed.id)
    if row is None or not tokens.matches(parsed.secret, row.secret_hash):
        raise Unauthenticated(
            "this API token is unknown or its secret is wrong; create a new one in the console",
            "bad_token",
        )
    if row.revoked_at is not None:
        raise Unauthenticated(
            f"API token {row.name!r} was revoked at {row.revoked_at:%Y-%m-%d %H:%M} UTC; "
            "ask an administrator for a new one",
            "token_revoked",
        )
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated(
            f"API token {row.name!r} expired at {row.expires_at:%Y-%m-%d %H:%M} UTC; "
            "create a new one in the console",
            "token_expired",
        )
    owner = await s.get(User, row.user_id)
    if owner is None or owner.disabled:
        raise Unauthenticated(
            f"API token {row.name!r} belongs to a disabled user; its tokens no longer work",
            "user_disabled",
        )
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        row.last_used_at = now
        await s.commit()
    principal = Principal(
        PrincipalKind.TOKEN,
        row.name,
        PersonRole(row.role),
        row.scope,
        user_id=row.user_id,
        token_id=row.id,
        ip=ip,
    )
    return Resolved(principal, row.expires_at)


def _basic_pair(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    device_id, sep, secret = decoded.partition(":")
    if not sep or not device_id or not secret:
        raise Unauthenticated(
            "the Basic credentials are not base64 of '<device id>:<secret>'; check the "
            "device's config (kfleet provision status)",
            "bad_device_credentials",
        )
    return device_id, secret


async def _device(s: AsyncSession, value: str, ip: str, now: datetime) -> Resolved:
    device_id, secret = _basic_pair(value)
    device = await s.get(Device, device_id)
    rows = (
        await s.scalars(select(DeviceCredential).where(DeviceCredential.device_id == device_id))
    ).all()
    known = [r for r in rows if tokens.matches(secret, r.secret_hash)]
    if device is not None and device.revoked_at is not None and known:
        # the device proved who it is: tell it that it was revoked, not that it is unknown
        raise Unauthenticated(
            f"device {device_id!r} was revoked: {device.revoked_reason or 'no reason given'}; "
            "enroll it again with a new token",
            "device_revoked",
        )
    live = [
        r for r in known if r.revoked_at is None and (r.retired_at is None or r.retired_at > now)
    ]
    if device is None or device.revoked_at is not None or not live:
        raise Unauthenticated(
            f"device {device_id[:64]!r} is not enrolled or its secret is wrong (rotated?); "
            "run 'kfleet provision status' on the device",
            "bad_device_credentials",
        )
    cred = live[0]
    if cred.last_used_at is None or now - cred.last_used_at > TOUCH_EVERY:
        cred.last_used_at = now
        await s.commit()
    site = await s.get(Site, device.site_id)
    principal = Principal(
        PrincipalKind.DEVICE,
        device_id,
        None,
        None,
        device_site=site.path if site else None,
        ip=ip,
    )
    return Resolved(principal, cred.retired_at)  # a rotated-out secret works until then


async def _session(
    s: AsyncSession, req: Presented, policy: SessionPolicy, now: datetime
) -> Resolved:
    sid, _, secret = (req.session_cookie or "").partition(".")
    row = await s.get(UserSession, sid[:32]) if sid else None
    if row is None or not tokens.matches(secret, row.secret_hash):
        raise Unauthenticated("your session is not valid; log in again", "bad_session")
    if row.revoked_at is not None:
        raise Unauthenticated("you logged out of this session; log in again", "session_ended")
    if row.expires_at <= now or row.absolute_expires_at <= now:
        raise Unauthenticated("your session expired; log in again", "session_expired")
    user = await s.get(User, row.user_id)
    if user is None or user.disabled:
        raise Unauthenticated("your account is disabled; ask an administrator", "user_disabled")
    check_csrf(req, row.csrf)
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        row.expires_at = min(now + timedelta(seconds=policy.idle_s), row.absolute_expires_at)
        await s.commit()
    principal = Principal(
        PrincipalKind.USER,
        user.username,
        PersonRole(user.role),
        user.scope,
        user_id=user.id,
        session_id=row.id,
        ip=req.ip,
    )
    return Resolved(principal, min(row.expires_at, row.absolute_expires_at), row.csrf)
