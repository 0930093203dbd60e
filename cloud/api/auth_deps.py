"""Authentication and permission as FastAPI dependencies.

Every operator route takes ``Annotated[Principal, Depends(require(Permission.X))]``; device-
facing routes take :data:`DeviceCaller`. The security schemes are declared through FastAPI's
security classes so the OpenAPI document names, for every operation, what it accepts — and a
test walks that document to prove no route is open by accident.

A refusal is written to the audit log (``permission.denied`` / ``auth.failed``) and answered
with what is wrong and what to do, never a bare 401/403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPBasic, HTTPBearer

from cloud import audit
from cloud.api.deps import SessionsDep, SettingsDep
from cloud.auth.cache import PrincipalCache
from cloud.auth.principal import Principal, PrincipalKind
from cloud.auth.resolve import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Presented,
    Resolved,
    SessionPolicy,
    check_csrf,
    credential_of,
    resolve_full,
)
from cloud.db.models import utcnow
from cloud.errors import Forbidden, NotFound, Unauthenticated
from fleet.access import Permission

# auto_error=False: we answer missing credentials ourselves, with our error shape.
bearer_scheme = HTTPBearer(auto_error=False, description="an API token: kfa_…")
basic_scheme = HTTPBasic(auto_error=False, description="a device: its id and secret")
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="a console login session"
)

NO_CREDENTIALS = (
    "this endpoint needs credentials: log in to the console, or send 'Authorization: Bearer "
    "<API token>' (an administrator creates tokens on the console's API tokens page)"
)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def _caller(request: Request, sessions: SessionsDep, settings: SettingsDep) -> Principal:
    presented = Presented(
        authorization=request.headers.get("authorization"),
        session_cookie=request.cookies.get(SESSION_COOKIE),
        csrf_header=request.headers.get(CSRF_HEADER),
        method=request.method,
        ip=client_ip(request),
    )
    policy = SessionPolicy(settings.session_idle_s, settings.session_absolute_s)
    try:
        principal = await _resolved(request, sessions, presented, policy)
    except Unauthenticated as exc:
        await _audit_refusal(sessions, "anonymous", "auth.failed", request, str(exc))
        raise
    if principal is None:
        raise Unauthenticated(NO_CREDENTIALS, "no_credentials")
    return principal


async def _resolved(
    request: Request, sessions: SessionsDep, presented: Presented, policy: SessionPolicy
) -> Principal | None:
    """The caller, from the principal cache while it holds (issue 17: the cost of a job)."""
    now, credential = utcnow(), credential_of(presented)
    cache: PrincipalCache = request.app.state.parts.principals
    if credential is None:
        return None
    hit = cache.get(credential, now)
    if hit is not None:
        check_csrf(presented, hit.csrf)
        return replace(hit.principal, ip=presented.ip)

    async def load() -> Resolved:
        async with sessions() as s:
            found = await resolve_full(s, presented, policy, now)
        assert found is not None  # a credential was presented
        return found

    return await cache.resolve(credential, presented.ip, load)


async def _audit_refusal(
    sessions: SessionsDep, actor: str, action: str, request: Request, message: str
) -> None:
    await audit.write(
        sessions,
        audit.AuditRecord(
            actor=actor,
            action=action,
            result=audit.Result.DENIED,
            target=f"{request.method} {request.url.path}"[:200],
            ip=client_ip(request),
            message=message,
        ),
    )


async def ensure(
    caller: Principal, permission: Permission, sessions: SessionsDep, request: Request
) -> None:
    """Refuse (403 ``permission_denied``, audited) unless ``caller`` is a person or API token
    holding ``permission``; for a check that depends on the request's body."""
    if caller.kind is PrincipalKind.DEVICE:
        message = (
            f"device {caller.name!r} may call only device-facing endpoints; "
            f"{permission.value} is for people and API tokens"
        )
    elif not caller.can(permission):
        message = (
            f"your role {caller.role} does not include {permission.value}; ask an "
            "administrator for a role that does"
        )
    else:
        return
    await _audit_refusal(sessions, caller.actor, "permission.denied", request, message)
    raise Forbidden(message, "permission_denied")


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, who must be a person or API token holding ``permission``."""

    async def dependency(
        request: Request,
        sessions: SessionsDep,
        caller: Annotated[Principal, Depends(_caller)],
        _bearer: Annotated[object, Depends(bearer_scheme)] = None,
        _cookie: Annotated[object, Depends(cookie_scheme)] = None,
    ) -> Principal:
        await ensure(caller, permission, sessions, request)
        return caller

    dependency.__name__ = f"require_{permission.value.replace('.', '_')}"
    return dependency


async def _device_caller(
    caller: Annotated[Principal, Depends(_caller)],
    _basic: Annotated[object, Depends(basic_scheme)] = None,
) -> Principal:
    if caller.kind is not PrincipalKind.DEVICE:
        raise Forbidden(
            "this endpoint is for devices: send 'Authorization: Basic <device id:secret>' "
            "with the credentials 'kfleet provision enroll' wrote",
            "device_only",
        )
    return caller


DeviceCaller = Annotated[Principal, Depends(_device_caller)]


def check_site(caller: Principal, site_path: str, what: str) -> None:
    """A thing at ``site_path`` outside the caller's subtree does not exist for the caller: a
    404 naming only what was asked for (its existence elsewhere is not disclosed)."""
    if not caller.sees(site_path):
        raise NotFound(f"{what} not found")


async def _any_caller(
    caller: Annotated[Principal, Depends(_caller)],
    _bearer: Annotated[object, Depends(bearer_scheme)] = None,
    _basic: Annotated[object, Depends(basic_scheme)] = None,
    _cookie: Annotated[object, Depends(cookie_scheme)] = None,
) -> Principal:
    return caller


#: Any authenticated caller — person, API token or device (``GET /api/v1/auth/me``).
AnyCaller = Annotated[Principal, Depends(_any_caller)]


def scope_of(caller: Principal) -> str:
    """The caller's site subtree; a person or token always has one (the column is required),
    so a missing one is refused rather than read as "everything"."""
    if caller.scope is None:
        raise Forbidden(f"{caller.actor} has no site scope; it may not list fleet data", "no_scope")
    return caller.scope


async def _optional_caller(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    _bearer: Annotated[object, Depends(bearer_scheme)] = None,
    _basic: Annotated[object, Depends(basic_scheme)] = None,
    _cookie: Annotated[object, Depends(cookie_scheme)] = None,
) -> Principal | None:
    """The caller if it sent credentials (wrong ones are still a 401), else None."""
    try:
        return await _caller(request, sessions, settings)
    except Unauthenticated as exc:
        if exc.code == "no_credentials":
            return None
        raise


#: Capability routes (a blob token or grant authorises them): credentials are optional and,
#: when sent, name the actor in the audit log.
OptionalCaller = Annotated[Principal | None, Depends(_optional_caller)]
