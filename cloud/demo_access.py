"""The API token ``kfleet demo`` uses for its own calls (waiting for its devices, the banner's
examples): an administrator over the demo's site tree, minted fresh at every start.

Its owner ``kfleet-demo`` is a service account whose password is random and never shown, so
nobody logs in as it; people log in as the administrator the demo prints.
"""

from __future__ import annotations

import asyncio
import secrets as random

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth import secrets
from cloud.db.identity import ApiToken, User
from fleet.access import PersonRole

DEMO_ACCOUNT = "kfleet-demo"


async def _account(s: AsyncSession, scope: str) -> User:
    user = await s.scalar(select(User).where(User.username == DEMO_ACCOUNT))
    if user is None:
        user = User(
            username=DEMO_ACCOUNT,
            display_name="kfleet demo",
            role=PersonRole.ADMINISTRATOR.value,
            scope=scope,
            # memory-hard: in a worker thread, not on the loop the demo's devices share
            password_hash=await asyncio.to_thread(PasswordHasher().hash, random.token_urlsafe(32)),
        )
        s.add(user)
        await s.flush()
    return user


async def demo_token(sessions: async_sessionmaker[AsyncSession], scope: str) -> str:
    """A new ``kfa_…`` administrator token over ``scope`` for the demo's own HTTP calls."""
    token_id, secret = secrets.new_id(), secrets.new_secret()
    async with sessions() as s:
        user = await _account(s, scope)
        s.add(
            ApiToken(
                id=token_id,
                name="kfleet demo",
                user_id=user.id,
                secret_hash=secrets.digest(secret),
                role=PersonRole.ADMINISTRATOR.value,
                scope=scope,
            )
        )
        await s.commit()
    return secrets.make_token("kfa", token_id, secret)
