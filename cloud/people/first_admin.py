"""The first administrator, and the machine operator's way back in: create an administrator,
reset a password, lift a lock-out — from the command line on the cloud's host (the people
API needs someone logged in already). There is never a default password: one is given on
stdin or generated and printed once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.errors import NotFound
from cloud.people import users
from cloud.people.acting import Acting
from cloud.people.passwords import HashParams, Passwords, passwords_for
from fleet.access import PersonRole

ROOT_SCOPE = "qh"


async def create_admin(
    sessions: async_sessionmaker[AsyncSession],
    pw: Passwords,
    acting: Acting,
    username: str,
    password: str | None,
    scope: str = ROOT_SCOPE,
) -> str | None:
    """Create an administrator over ``scope``; the generated password, or None if given."""
    async with sessions() as s:
        new = users.NewUser(username, PersonRole.ADMINISTRATOR, scope, "", password)
        _, generated = await users.create(s, pw, acting, new, check_site=False)
        await s.commit()
    return generated


async def reset_password(
    sessions: async_sessionmaker[AsyncSession],
    pw: Passwords,
    acting: Acting,
    username: str,
    password: str | None,
) -> str | None:
    async with sessions() as s:
        _, generated = await users.reset_password(s, pw, acting, username, password)
        await s.commit()
    return generated


async def unlock(sessions: async_sessionmaker[AsyncSession], acting: Acting, username: str) -> None:
    async with sessions() as s:
        await users.unlock(s, acting, username)
        await s.commit()


async def ensure_first_admin(
    sessions: async_sessionmaker[AsyncSession],
    username: str,
    *,
    pw: Passwords | None = None,
    actor: str = "demo",
) -> str | None:
    """For ``kfleet demo``: create administrator ``username`` over the whole tree with a
    generated password and return it (print it!); None when the user exists already (its
    password is not known any more: ``kfleet cloud admin reset-password``)."""
    async with sessions() as s:
        if await users.find(s, username) is not None:
            return None
    hasher = pw or passwords_for(HashParams())
    generated = await create_admin(sessions, hasher, Acting.cli(actor), username, None)
    async with sessions() as s:  # the demo's admin is not forced to change it
        user = await users.find(s, username)
        if user is None:
            raise NotFound(f"user {username!r} vanished right after it was created")
        user.must_change_password = False
        await s.commit()
    return generated
