"""The users service: create, change, disable/enable, unlock, reset passwords, list.

Every change writes its audit row in the same transaction; the caller commits. A grantor
reaches only users inside their scope and no stronger than themselves (:mod:`authority`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cloud import audit
from cloud.db.identity import User, UserSession
from cloud.db.models import Site
from cloud.errors import Conflict, NotFound, Unprocessable
from cloud.people import passwords as pw_policy
from cloud.people.acting import Acting
from cloud.people.authority import check_grant, check_reach
from cloud.people.passwords import Passwords
from fleet.access import PersonRole, in_scope

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._@-]{1,63}$"
#: what the API takes (upper case is folded to lower case)
USERNAME_INPUT = r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$"
_USERNAME_RE = re.compile(USERNAME_PATTERN)


def normalize(username: str) -> str:
    """Usernames are compared lower-case and without surrounding blanks."""
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalize(username)
    if not _USERNAME_RE.fullmatch(name):
        raise Unprocessable(
            f"the username {username[:64]!r} is not usable: 2-64 characters, letters a-z, "
            "digits and . _ @ -, starting with a letter or digit"
        )
    return name


async def find(s: AsyncSession, username: str) -> User | None:
    return await s.scalar(select(User).where(User.username == normalize(username)))


async def _managed(s: AsyncSession, acting: Acting, username: str) -> User:
    user = await find(s, username)
    if user is None:
        raise NotFound(f"user {username[:64]!r} not found")
    if acting.who is not None:
        check_reach(acting.who, user.username, user.role, user.scope)
    return user


async def _check_site(s: AsyncSession, scope: str) -> None:
    if await s.scalar(select(Site.id).where(Site.path == scope)) is None:
        raise Unprocessable(f"the scope {scope!r} is not a site; choose an existing site path")


def _audit(s: AsyncSession, acting: Acting, action: str, user: User, message: str) -> None:
    audit.add(
        s,
        audit.AuditRecord(
            actor=acting.actor,
            action=action,
            result=audit.Result.OK,
            target=f"user:{user.username}",
            site=user.scope,
            ip=acting.ip,
            message=message,
        ),
    )


async def end_sessions(s: AsyncSession, user_id: int, acting: Acting, keep: str = "") -> None:
    """Revoke every live console session of the user (but ``keep``)."""
    await s.execute(
        update(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.id != keep,
        )
        .values(revoked_at=acting.now)
    )


@dataclass(frozen=True)
class NewUser:
    username: str
    role: PersonRole
    scope: str
    display_name: str = ""
    password: str | None = None  # None: generate one (shown once)


async def create(
    s: AsyncSession, pw: Passwords, acting: Acting, new: NewUser, *, check_site: bool = True
) -> tuple[User, str | None]:
    """The new user and the generated password (None when one was given)."""
    name = check_username(new.username)
    if acting.who is not None:
        check_grant(acting.who, new.role, new.scope)
    if check_site:
        await _check_site(s, new.scope)
    if await find(s, name) is not None:
        raise Conflict(f"a user named {name!r} exists already; choose another username")
    generated = pw_policy.generate() if new.password is None else None
    password = new.password if new.password is not None else generated
    assert password is not None
    pw_policy.check_policy(name, password)
    user = User(
        username=name,
        display_name=new.display_name.strip() or name,
        role=new.role.value,
        scope=new.scope,
        password_hash=await pw.hash(password),
        must_change_password=generated is not None,
        created_at=acting.now,
        updated_at=acting.now,
    )
    s.add(user)
    await s.flush()
    _audit(s, acting, "user.create", user, f"created with role {new.role.value} at {new.scope}")
    return user, generated


async def update_user(
    s: AsyncSession,
    acting: Acting,
    username: str,
    *,
    display_name: str | None = None,
    role: PersonRole | None = None,
    scope: str | None = None,
) -> User:
    user = await _managed(s, acting, username)
    new_role = role or PersonRole(user.role)
    new_scope = scope or user.scope
    changes = []
    if (new_role.value, new_scope) != (user.role, user.scope):
        if acting.user_id == user.id:
            raise Conflict("you cannot change your own role or scope; ask another administrator")
        if acting.who is not None:
            check_grant(acting.who, new_role, new_scope)
        await _check_site(s, new_scope)
        changes.append(f"role {user.role}→{new_role.value}, scope {user.scope}→{new_scope}")
        user.role, user.scope = new_role.value, new_scope
    if display_name is not None and display_name.strip() != user.display_name:
        user.display_name = display_name.strip() or user.username
        changes.append("display name")
    if changes:
        _audit(s, acting, "user.update", user, "; ".join(changes))
    return user


async def set_disabled(s: AsyncSession, acting: Acting, username: str, disabled: bool) -> User:
    """Disable (sessions end at once, API tokens stop working) or enable a user."""
    user = await _managed(s, acting, username)
    if disabled and acting.user_id == user.id:
        raise Conflict("you cannot disable your own account; ask another administrator")
    if user.disabled != disabled:
        user.disabled = disabled
        if disabled:
            await end_sessions(s, user.id, acting)
        _audit(s, acting, "user.disable", user, "disabled" if disabled else "enabled")
    return user


async def unlock(s: AsyncSession, acting: Acting, username: str) -> User:
    user = await _managed(s, acting, username)
    was = user.locked_until
    user.failed_logins, user.locked_until = 0, None
    _audit(s, acting, "user.unlock", user, f"was locked until {was}" if was else "not locked")
    return user


async def reset_password(
    s: AsyncSession, pw: Passwords, acting: Acting, username: str, password: str | None = None
) -> tuple[User, str | None]:
    """Set a new password (generated when None): the person must change it at next login;
    their sessions end and a lock-out is lifted."""
    user = await _managed(s, acting, username)
    if acting.user_id == user.id:
        raise Conflict(
            "to change your own password use 'change password' (it needs the current one), "
            "or ask another administrator"
        )
    generated = pw_policy.generate() if password is None else None
    new = password if password is not None else generated
    assert new is not None
    pw_policy.check_policy(user.username, new)
    user.password_hash = await pw.hash(new)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    await end_sessions(s, user.id, acting)
    _audit(s, acting, "user.password", user, "password reset")
    return user, generated


async def list_users(s: AsyncSession, acting: Acting) -> Sequence[User]:
    """Every user inside the acting person's scope, by username."""
    rows = (await s.scalars(select(User).order_by(User.username))).all()
    if acting.who is None:
        return rows
    scope = acting.who.scope
    return [u for u in rows if in_scope(scope, u.scope)]
