"""Console logins: password check with per-account lock-out, session rows, logout, and a
person changing their own password.

The password is verified outside any transaction (it takes tens of milliseconds and SQLite
has one connection); the failure counter is then updated under a row lock, so concurrent
wrong guesses all count. An unknown username costs as much time as a known one, and gets
the same answer as a wrong password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.auth import secrets
from cloud.db.identity import User, UserSession
from cloud.errors import Forbidden, Unauthenticated
from cloud.people import users
from cloud.people.acting import Acting
from cloud.people.errors import AccountLocked, bad_login
from cloud.people.passwords import Passwords, check_policy
from cloud.people.policy import LoginPolicy

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class LoggedIn:
    user: User
    cookie: str  # ``{session id}.{secret}``: the kfleet_session cookie
    csrf: str
    expires_at: datetime
    absolute_expires_at: datetime


def _failed(name: str, ip: str, message: str, action: str = "auth.login") -> audit.AuditRecord:
    return audit.AuditRecord(
        actor="anonymous",
        action=action,
        result=audit.Result.FAILED,
        target=f"user:{name}",
        ip=ip,
        message=message,
    )


async def login(
    sessions: Sessions,
    pw: Passwords,
    policy: LoginPolicy,
    username: str,
    password: str,
    ip: str,
    now: datetime,
) -> LoggedIn:
    """A new session, or :func:`bad_login` / :class:`AccountLocked` / ``user_disabled``."""
    name = users.normalize(username)[:64]
    async with sessions() as s:
        found = await users.find(s, name)
        snapshot = (found.id, found.password_hash, found.locked_until) if found else None
    if snapshot is None:
        await pw.burn(password)
        await audit.write(sessions, _failed(name, ip, "unknown username"))
        raise bad_login()
    user_id, stored, locked_until = snapshot
    if locked_until is not None and locked_until > now:
        await audit.write(sessions, _failed(name, ip, f"refused: locked until {locked_until}"))
        raise AccountLocked(name, locked_until)
    ok = await pw.verify(stored, password)
    rehashed = await pw.hash(password) if ok and pw.needs_rehash(stored) else None
    async with sessions() as s:
        user = await s.get(User, user_id, with_for_update=True)
        if user is None:  # deleted meanwhile
            raise bad_login()
        if user.locked_until is not None and user.locked_until <= now:
            user.failed_logins, user.locked_until = 0, None  # the lock-out is over
        if user.locked_until is not None:  # locked by a concurrent attempt
            audit.add(s, _failed(name, ip, f"refused: locked until {user.locked_until}"))
            await s.commit()
            raise AccountLocked(name, user.locked_until)
        if not ok:
            await _count_failure(s, user, policy, ip, now)
        if user.disabled:
            audit.add(s, _failed(name, ip, "the account is disabled"))
            await s.commit()
            raise Unauthenticated(
                f"the account {name!r} is disabled; ask an administrator to enable it",
                "user_disabled",
            )
        if rehashed is not None:
            user.password_hash = rehashed
        return await _open_session(s, user, policy, ip, now)


async def _count_failure(
    s: AsyncSession, user: User, policy: LoginPolicy, ip: str, now: datetime
) -> None:
    """Count a wrong password; lock the account at the limit. Always raises."""
    user.failed_logins += 1
    n = user.failed_logins
    audit.add(s, _failed(user.username, ip, f"wrong password ({n} in a row)"))
    if n >= policy.max_failures:
        user.locked_until = now + timedelta(seconds=policy.lockout_s)
        audit.add(
            s,
            _failed(
                user.username,
                ip,
                f"locked until {user.locked_until} after {n} failed logins",
                "auth.locked",
            ),
        )
        await s.commit()
        raise AccountLocked(user.username, user.locked_until)
    await s.commit()
    raise bad_login()


async def _open_session(
    s: AsyncSession, user: User, policy: LoginPolicy, ip: str, now: datetime
) -> LoggedIn:
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    sid, secret, csrf = secrets.new_id(), secrets.new_secret(), secrets.new_secret()
    absolute = now + timedelta(seconds=policy.absolute_s)
    idle = min(now + timedelta(seconds=policy.idle_s), absolute)
    s.add(
        UserSession(
            id=sid,
            secret_hash=secrets.digest(secret),
            user_id=user.id,
            csrf=csrf,
            ip=ip[:64],
            created_at=now,
            expires_at=idle,
            absolute_expires_at=absolute,
            last_seen_at=now,
        )
    )
    audit.add(
        s,
        audit.AuditRecord(
            actor=f"user:{user.username}",
            action="auth.login",
            result=audit.Result.OK,
            target=f"user:{user.username}",
            site=user.scope,
            ip=ip,
            message=f"session {sid}",
        ),
    )
    await s.commit()
    return LoggedIn(user, f"{sid}.{secret}", csrf, idle, absolute)


async def logout(s: AsyncSession, acting: Acting, session_id: str) -> None:
    """End the session (the cookie stops working at once)."""
    row = await s.get(UserSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = acting.now
    audit.add(
        s,
        audit.AuditRecord(
            actor=acting.actor,
            action="auth.logout",
            result=audit.Result.OK,
            target=f"session:{session_id}",
            ip=acting.ip,
        ),
    )


async def change_own_password(
    sessions: Sessions, pw: Passwords, acting: Acting, session_id: str, old: str, new: str
) -> None:
    """Check the current password, apply the policy, end the person's other sessions."""
    assert acting.user_id is not None
    async with sessions() as s:
        user = await s.get(User, acting.user_id)
        assert user is not None
        stored, name, scope = user.password_hash, user.username, user.scope
    if not await pw.verify(stored, old):
        await audit.write(sessions, _wrong_current(acting, name, scope))
        raise Forbidden(
            "the current password is wrong; type the password you logged in with",
            "wrong_password",
        )
    if new == old:
        raise Forbidden("the new password is the current one; choose another", "same_password")
    check_policy(name, new)
    digest = await pw.hash(new)
    async with sessions() as s:
        user = await s.get(User, acting.user_id)
        assert user is not None
        user.password_hash, user.must_change_password = digest, False
        await users.end_sessions(s, user.id, acting, keep=session_id)
        audit.add(s, _changed(acting, name, scope, audit.Result.OK, "changed own password"))
        await s.commit()


def _changed(
    acting: Acting, name: str, scope: str, result: audit.Result, message: str
) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=acting.actor,
        action="user.password",
        result=result,
        target=f"user:{name}",
        site=scope,
        ip=acting.ip,
        message=message,
    )


def _wrong_current(acting: Acting, name: str, scope: str) -> audit.AuditRecord:
    return _changed(acting, name, scope, audit.Result.FAILED, "the current password was wrong")
