"""Dependencies of the people endpoints that any signed-in person may call (their own API
tokens, logout, their password): a person or an API token, never a device."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cloud.api.auth_deps import _audit_refusal, _caller, bearer_scheme, cookie_scheme
from cloud.api.deps import SessionsDep
from cloud.auth.principal import Principal, PrincipalKind
from cloud.errors import Forbidden


async def _person(
    request: Request,
    sessions: SessionsDep,
    caller: Annotated[Principal, Depends(_caller)],
    _bearer: Annotated[object, Depends(bearer_scheme)] = None,
    _cookie: Annotated[object, Depends(cookie_scheme)] = None,
) -> Principal:
    if caller.kind is PrincipalKind.DEVICE:
        message = f"device {caller.name!r} may call only device-facing endpoints"
        await _audit_refusal(sessions, caller.actor, "permission.denied", request, message)
        raise Forbidden(message, "permission_denied")
    return caller


#: a signed-in person (console session) or an API token
PersonCaller = Annotated[Principal, Depends(_person)]


def console_only(caller: Principal, what: str) -> None:
    """Some actions belong to a person at the console, not to an integration's token."""
    if caller.kind is not PrincipalKind.USER:
        raise Forbidden(
            f"{what} needs a console login; an API token cannot do it", "console_login_needed"
        )
