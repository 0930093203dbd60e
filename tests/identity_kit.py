"""Make people, API tokens and console sessions straight in the database, for tests.

The real paths (``kfleet cloud admin create``, ``POST /api/v1/auth/login``, the token API) are
tested on their own; every other test just needs a caller with a role and a scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth import secrets
from cloud.db.identity import ApiToken, User, UserSession
from cloud.db.models import utcnow
from cloud.db.session import make_engine, make_sessions
from fleet.access import PersonRole

ROOT_SCOPE = "qh"
#: fast parameters: tests make many users; production uses argon2-cffi's defaults
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True)
class ConsoleLogin:
    cookie: str  # value of kfleet_session
    csrf: str  # value of kfleet_csrf and X-CSRF-Token


async def make_user(
    sessions: async_sessionmaker[AsyncSession],
    username: str,
    role: PersonRole = PersonRole.ADMINISTRATOR,
    scope: str = ROOT_SCOPE,
    password: str = "correct horse battery staple",
) -> int:
    """The user's id (an existing user of that name is reused as it is)."""
    async with sessions() as s:
        found = await s.scalar(select(User).where(User.username == username))
        if found is not None:
            return found.id
        user = User(
            username=username,
            display_name=username,
            role=role.value,
            scope=scope,
            password_hash=_FAST_HASHER.hash(password),
        )
        s.add(user)
        await s.commit()
        return user.id


async def make_api_token(
    sessions: async_sessionmaker[AsyncSession],
    role: PersonRole = PersonRole.ADMINISTRATOR,
    scope: str = ROOT_SCOPE,
    name: str | None = None,
) -> str:
    """A working ``kfa_…`` token with ``role`` over ``scope`` (its owner is made too)."""
    label = name or f"test-{role.value}-{scope.replace('/', '-')}"
    user_id = await make_user(sessions, label, role, scope)
    token_id, secret = secrets.new_id(), secrets.new_secret()
    async with sessions() as s:
        s.add(
            ApiToken(
                id=token_id,
                name=label,
                user_id=user_id,
                secret_hash=secrets.digest(secret),
                role=role.value,
                scope=scope,
            )
        )
        await s.commit()
    return secrets.make_token("kfa", token_id, secret)


async def make_console_login(
    sessions: async_sessionmaker[AsyncSession],
    username: str,
    role: PersonRole = PersonRole.ADMINISTRATOR,
    scope: str = ROOT_SCOPE,
) -> ConsoleLogin:
    """A live console session for ``username`` (made if missing), as a browser would hold it."""
    user_id = await make_user(sessions, username, role, scope)
    sid, secret, csrf = secrets.new_id(), secrets.new_secret(), secrets.new_secret()
    now = utcnow()
    async with sessions() as s:
        s.add(
            UserSession(
                id=sid,
                secret_hash=secrets.digest(secret),
                user_id=user_id,
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(hours=1),
                absolute_expires_at=now + timedelta(hours=8),
                last_seen_at=now,
            )
        )
        await s.commit()
    return ConsoleLogin(f"{sid}.{secret}", csrf)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def token_for_database(
    database_url: str, role: PersonRole = PersonRole.ADMINISTRATOR, scope: str = ROOT_SCOPE
) -> str:
    """An API token made straight in the database of a cloud running in another process
    (its schema must be migrated: ``kfleet cloud seed-pilot`` or the cloud's start did it)."""
    engine = make_engine(database_url)
    try:
        return await make_api_token(make_sessions(engine), role, scope)
    finally:
        await engine.dispose()
