"""Writing the audit log: one append-only row per privileged action (who, when, from where,
what, on which site, and the result).

A row is written in the caller's transaction when the action changes state (so an action
and its audit row commit or roll back together), or on its own for refusals and logins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.identity import AuditEntry
from cloud.db.models import utcnow
from cloud.db.session import engine_of


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


_AUDIT_LOG = cast(Table, AuditEntry.__table__)
#: one prepared statement (its cache key computed once): a standalone row needs no ORM flush
_INSERT = _AUDIT_LOG.insert()


def _values(record: AuditRecord) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "actor": record.actor[:160],
        "ip": record.ip[:64],
        "action": record.action,
        "target": record.target[:200],
        "site": record.site[:200],
        "result": record.result.value,
        "message": record.message[:1024],
        "detail": record.detail,
    }


def add(session: AsyncSession, record: AuditRecord) -> None:
    """Add the row to ``session``'s transaction; it commits with the action it records."""
    session.add(AuditEntry(**_values(record)))


async def write(sessions: async_sessionmaker[AsyncSession], record: AuditRecord) -> None:
    """Write the row in a transaction of its own (refusals, logins: nothing else commits).

    A core INSERT on the engine: no session or unit of work for one row (a proof upload
    writes one per job, issue 17)."""
    async with engine_of(sessions).begin() as conn:
        await conn.execute(_INSERT, _values(record))
