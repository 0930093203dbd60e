"""Writing the audit log: one append-only row per privileged action (who, when, from where,
what, on which site, and the result).

A row is written in the caller's transaction when the action changes state (so an action
and its audit row commit or roll back together), or on its own for refusals and logins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.identity import AuditEntry
from cloud.db.models import utcnow


class Result(StrEnum):
    OK = "ok"
    DENIED = "denied"  # refused by authentication or permission
    FAILED = "failed"  # allowed, but it did not work (the message says why)


@dataclass(frozen=True)
class AuditRecord:
    actor: str
    action: str
    result: Result
    target: str = ""
    site: str = ""
    ip: str = ""
    message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def add(session: AsyncSession, record: AuditRecord) -> None:
    """Add the row to ``session``'s transaction; it commits with the action it records."""
    session.add(
        AuditEntry(
            at=utcnow(),
            actor=record.actor[:160],
            ip=record.ip[:64],
            action=record.action,
            target=record.target[:200],
            site=record.site[:200],
            result=record.result.value,
            message=record.message[:1024],
            detail=record.detail,
        )
    )


async def write(sessions: async_sessionmaker[AsyncSession], record: AuditRecord) -> None:
    """Write the row in a transaction of its own (refusals, logins: nothing else commits)."""
    async with sessions() as s:
        add(s, record)
        await s.commit()
