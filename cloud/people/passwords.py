"""People's passwords: argon2id hashes, the password policy, and generated passwords.

Hashing is deliberately slow (memory-hard), so it runs in a worker thread and never blocks the
event loop. Parameters come from the settings; a stored hash made with other parameters is
replaced at the next successful login (:meth:`Passwords.needs_rehash`).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from cloud.people.errors import PasswordRejected

MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing a megabyte on every login attempt would be a cheap attack
#: no 0/O, 1/l/I: a generated password is read off a screen and typed
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class HashParams:
    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4


class Passwords:
    """Hash and verify with one set of argon2id parameters."""

    def __init__(self, params: HashParams) -> None:
        self.params = params
        self._ph = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            type=Type.ID,
        )
        #: verified against for unknown users, so they take as long as known ones (made on
        #: first use, in a worker thread like every hash)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._ph.hash, password)

    async def verify(self, stored: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._ph.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def burn(self, password: str) -> None:
        """Spend the time a real verification takes (an unknown username)."""
        if self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(16))
        await self.verify(self._dummy, password)

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._ph.check_needs_rehash(stored)
        except InvalidHashError:
            return True


@lru_cache(maxsize=4)
def passwords_for(params: HashParams) -> Passwords:
    """One hasher per parameter set."""
    return Passwords(params)


def check_policy(username: str, password: str) -> None:
    """Refuse a password that is too short, too long, or the username itself."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(
            f"the password has {len(password)} characters; it needs at least {MIN_LENGTH} "
            "(a few unrelated words make a long password that is easy to remember)"
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"the password is longer than {MAX_LENGTH} characters")
    if password.strip().casefold() == username.strip().casefold():
        raise PasswordRejected("the password must not be the username; choose another one")


def generate() -> str:
    """A strong password to read off a screen: four groups of five, about 116 bits."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)
