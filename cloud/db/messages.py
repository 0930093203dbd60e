"""Processed message ids (at-most-once handling) and their retention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.models import ProcessedMessage


async def was_processed(session: AsyncSession, msg_id: str) -> bool:
    return await session.get(ProcessedMessage, msg_id) is not None


async def prune(session: AsyncSession, *, ids_before: datetime) -> None:
    """Forget message ids received before ``ids_before``."""
    await session.execute(delete(ProcessedMessage).where(ProcessedMessage.received_at < ids_before))
