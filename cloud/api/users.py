"""``/api/v1/users``: people, their roles and scopes (``users.manage``).

An administrator sees and changes only users inside their own scope (others are a 404) and
can give no role stronger and no scope wider than their own. Passwords the cloud generates
are returned once, in the answer that made them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from cloud.api.auth_deps import require
from cloud.api.deps import SessionsDep, SettingsDep
from cloud.api.errors import error_responses
from cloud.api.people_schemas import (
    PasswordReset,
    UserCreate,
    UserOut,
    UserPatch,
    UserWithPassword,
    said,
)
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.people import users as svc
from cloud.people.acting import Acting
from cloud.people.policy import passwords
from fleet.access import Permission

Manager = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]
UsernamePath = Annotated[str, Path(pattern=svc.USERNAME_INPUT, description="a username")]

router = APIRouter(
    prefix="/api/v1/users",
    tags=["users"],
    responses={
        **error_responses(400, 413, 422, 500),
        **said(
            {
                401: "no or bad credentials",
                403: "the role lacks users.manage, or the change reaches beyond your role "
                "(beyond_your_role) or scope (beyond_your_scope)",
            }
        ),
    },
    route_class=StrictJsonRoute,
)


@router.get("", response_model=list[UserOut])
async def list_users(caller: Manager, sessions: SessionsDep) -> list[UserOut]:
    """Every user inside your scope."""
    acting = Acting.of(caller)
    async with sessions() as s:
        return [UserOut.of(u, acting.now) for u in await svc.list_users(s, acting)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserWithPassword,
    responses=error_responses(409, described={409: "the username is taken"}),
)
async def create_user(
    body: UserCreate, caller: Manager, sessions: SessionsDep, settings: SettingsDep
) -> UserWithPassword:
    """Create a person with a role over a site subtree; without ``password`` the cloud
    generates one, returned here once (they must change it at first login)."""
    acting = Acting.of(caller)
    new = svc.NewUser(body.username, body.role, body.scope, body.display_name, body.password)
    async with sessions() as s:
        user, generated = await svc.create(s, passwords(settings), acting, new)
        await s.commit()
        return UserWithPassword(user=UserOut.of(user, acting.now), password=generated)


@router.patch(
    "/{username}",
    response_model=UserOut,
    responses=error_responses(404, 409, described={409: "you cannot change your own role"}),
)
async def patch_user(
    username: UsernamePath, body: UserPatch, caller: Manager, sessions: SessionsDep
) -> UserOut:
    """Change a user's display name, role or scope."""
    acting = Acting.of(caller)
    async with sessions() as s:
        user = await svc.update_user(
            s, acting, username, display_name=body.display_name, role=body.role, scope=body.scope
        )
        await s.commit()
        return UserOut.of(user, acting.now)


async def _disabled(
    caller: Principal, sessions: SessionsDep, username: str, disabled: bool
) -> UserOut:
    acting = Acting.of(caller)
    async with sessions() as s:
        user = await svc.set_disabled(s, acting, username, disabled)
        await s.commit()
        return UserOut.of(user, acting.now)


@router.post("/{username}/disable", response_model=UserOut, responses=error_responses(404, 409))
async def disable_user(username: UsernamePath, caller: Manager, sessions: SessionsDep) -> UserOut:
    """Disable: the person's sessions end at once and their API tokens stop working."""
    return await _disabled(caller, sessions, username, True)


@router.post("/{username}/enable", response_model=UserOut, responses=error_responses(404))
async def enable_user(username: UsernamePath, caller: Manager, sessions: SessionsDep) -> UserOut:
    """Enable a disabled user again."""
    return await _disabled(caller, sessions, username, False)


@router.post("/{username}/unlock", response_model=UserOut, responses=error_responses(404))
async def unlock_user(username: UsernamePath, caller: Manager, sessions: SessionsDep) -> UserOut:
    """Lift a lock-out after failed logins before it runs out."""
    acting = Acting.of(caller)
    async with sessions() as s:
        user = await svc.unlock(s, acting, username)
        await s.commit()
        return UserOut.of(user, acting.now)


@router.post(
    "/{username}/reset-password",
    response_model=UserWithPassword,
    responses=error_responses(404, 409, described={409: "your own: use /api/v1/auth/password"}),
)
async def reset_password(
    username: UsernamePath,
    caller: Manager,
    sessions: SessionsDep,
    settings: SettingsDep,
    body: PasswordReset | None = None,
) -> UserWithPassword:
    """Set a new password (generated and returned once when none is given); the person's
    sessions end, a lock-out is lifted, and they must change it at their next login."""
    acting = Acting.of(caller)
    given = body.password if body else None
    async with sessions() as s:
        user, generated = await svc.reset_password(s, passwords(settings), acting, username, given)
        await s.commit()
        return UserWithPassword(user=UserOut.of(user, acting.now), password=generated)
