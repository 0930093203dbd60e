"""``GET /api/v1/auth/me``: who the caller is and what it may do.

The console's ``shell.js`` builds its navigation from ``permissions``; a script checks which
token it holds. Any authenticated caller may ask, a device too (it learns its id and site).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.api.auth_deps import AnyCaller
from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.auth.principal import Principal, PrincipalKind
from cloud.db.identity import User
from fleet.access import ROLE_PERMISSIONS

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=error_responses(401, 500))


class MeOut(BaseModel):
    """The caller. People and API tokens have a role and a scope (a site subtree); a device
    has neither, only its own site."""

    kind: str  # user | token | device
    username: str  # the person's username, the token's name or the device id
    display_name: str
    role: str | None
    scope: str | None
    permissions: list[str]  # sorted; empty for a device
    device_id: str | None = None
    site: str | None = None  # a device's own site path


async def describe(s: AsyncSession, caller: Principal) -> MeOut:
    """The answer for ``caller`` (the person's display name comes from their user row)."""
    display = caller.name
    if caller.kind is not PrincipalKind.DEVICE and caller.user_id is not None:
        user = await s.get(User, caller.user_id)
        if user is not None and caller.kind is PrincipalKind.USER:
            display = user.display_name or user.username
    permissions = sorted(p.value for p in ROLE_PERMISSIONS[caller.role]) if caller.role else []
    device = caller.kind is PrincipalKind.DEVICE
    return MeOut(
        kind=caller.kind.value,
        username=caller.name,
        display_name=display,
        role=caller.role.value if caller.role else None,
        scope=caller.scope,
        permissions=permissions,
        device_id=caller.name if device else None,
        site=caller.device_site if device else None,
    )


@router.get("/me", response_model=MeOut)
async def me(caller: AnyCaller, sessions: SessionsDep) -> MeOut:
    """The authenticated caller: kind, name, role, scope and the sorted permissions of its
    role (what the console shows and which actions it offers)."""
    async with sessions() as s:
        return await describe(s, caller)
