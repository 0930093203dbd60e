"""Single-use tokens shared by every cloud worker: a nonce is claimed once in the database.

A challenge (the 人脸核验 action list, say) may be redeemed at any worker behind the load
balancer; a set in one process's memory would let the same token pass once per worker. The
claim is an INSERT on a primary key, so two workers racing for one nonce get one winner.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class SingleUse(Base):
    """One claimed nonce of one kind (``scope``), kept until it could no longer be used."""

    __tablename__ = "single_uses"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class OnceClaims:
    """Claims nonces of one ``scope`` in the database (``single_uses``)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], scope: str) -> None:
        self._sessions = sessions
        self._scope = scope

    async def claim(self, nonce: str, expires_at: datetime) -> bool:
        """True for the first claim of ``nonce`` by any worker, False after; claims whose
        token has expired are forgotten on the way (the token is refused by its expiry)."""
        async with self._sessions() as s:
            await s.execute(
                delete(SingleUse).where(
                    SingleUse.scope == self._scope, SingleUse.expires_at <= utcnow()
                )
            )
            s.add(SingleUse(scope=self._scope, nonce=nonce, expires_at=expires_at))
            try:
                await s.commit()
            except IntegrityError:
                return False
        return True


class MemoryClaims:
    """The same in one process (unit tests, a single worker without a database)."""

    def __init__(self) -> None:
        self._used: dict[str, datetime] = {}

    async def claim(self, nonce: str, expires_at: datetime) -> bool:
        now = utcnow()
        self._used = {n: x for n, x in self._used.items() if x > now}
        if nonce in self._used:
            return False
        self._used[nonce] = expires_at
        return True
