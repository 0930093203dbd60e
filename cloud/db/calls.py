"""Peripheral call storage."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.models import PeripheralCallRow


async def get(session: AsyncSession, call_id: str) -> PeripheralCallRow | None:
    return await session.get(PeripheralCallRow, call_id)
