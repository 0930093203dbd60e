"""Request and response bodies of the people endpoints (login, users, API tokens)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from cloud.db.identity import ApiToken, User
from cloud.people.users import USERNAME_INPUT
from cloud.schemas import SITE_PATH_PATTERN, ErrorBody, _In
from fleet.access import ROLE_PERMISSIONS, PersonRole

Password = Annotated[str, Field(min_length=1, max_length=1024)]
Username = Annotated[
    str, Field(pattern=USERNAME_INPUT, description="2-64: a-z 0-9 . _ @ - (kept lower-case)")
]
Scope = Annotated[str, Field(pattern=SITE_PATH_PATTERN, description="a site path (subtree root)")]
DisplayName = Annotated[str, Field(max_length=128)]


class LoginBody(_In):
    username: Annotated[str, Field(min_length=1, max_length=200)]
    password: Password


class LoginOut(BaseModel):
    """The signed-in person; ``csrf`` goes in ``X-CSRF-Token`` on every unsafe request."""

    username: str
    display_name: str
    role: PersonRole
    scope: str
    permissions: list[str]
    csrf: str
    must_change_password: bool
    expires_at: datetime
    absolute_expires_at: datetime


class LockedBody(ErrorBody):
    """423: the account is locked until ``until`` (the error shape, plus ``until``)."""

    status: int = 423
    code: str = "account_locked"
    until: datetime


class PasswordChange(_In):
    old_password: Password
    new_password: Password


class UserOut(BaseModel):
    username: str
    display_name: str
    role: PersonRole
    scope: str
    permissions: list[str]
    disabled: bool
    #: set while the account is locked out
    locked_until: datetime | None
    failed_logins: int
    must_change_password: bool
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, user: User, now: datetime) -> UserOut:
        locked = user.locked_until if user.locked_until and user.locked_until > now else None
        role = PersonRole(user.role)
        return cls(
            username=user.username,
            display_name=user.display_name,
            role=role,
            scope=user.scope,
            permissions=sorted(p.value for p in ROLE_PERMISSIONS[role]),
            disabled=user.disabled,
            locked_until=locked,
            failed_logins=user.failed_logins,
            must_change_password=user.must_change_password,
            last_login_at=user.last_login_at,
            created_at=user.created_at,
        )


class UserCreate(_In):
    username: Username
    display_name: DisplayName = ""
    role: PersonRole
    scope: Scope
    #: omitted: the cloud generates a strong one and returns it once
    password: Password | None = None


class UserPatch(_In):
    display_name: DisplayName | None = None
    role: PersonRole | None = None
    scope: Scope | None = None


class PasswordReset(_In):
    #: omitted: the cloud generates one and returns it once
    password: Password | None = None


class UserWithPassword(BaseModel):
    """A user and the password the cloud generated (shown this once; null when given)."""

    user: UserOut
    password: str | None


class TokenCreate(_In):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    #: omitted: the creator's own role; never stronger
    role: PersonRole | None = None
    #: omitted: the creator's own scope; never wider
    scope: Scope | None = None
    #: omitted: the token does not expire
    expires_in_days: Annotated[int | None, Field(ge=1, le=3650)] = None


class TokenOut(BaseModel):
    id: str
    name: str
    owner: str
    role: PersonRole
    scope: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken, owner: str) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            owner=owner,
            role=PersonRole(token.role),
            scope=token.scope,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class TokenCreated(BaseModel):
    """The new token; ``secret`` (``kfa_…``) is shown this once and never again."""

    token: TokenOut
    secret: str


def said(described: dict[int, str]) -> dict[int | str, dict[str, object]]:
    """``responses=`` for statuses the generic table does not know (401, 403, 423)."""
    return {s: {"model": ErrorBody, "description": d} for s, d in described.items()}
