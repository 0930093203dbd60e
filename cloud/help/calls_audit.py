"""The call records in the audit log: who called and who answered, when, how long the
citizen waited and talked, and the outcome (``GET /api/v1/audit?action=help.call.*``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloud.audit import AuditRecord, Result
from cloud.help.calls_tables import HelpCallRow
from fleet.help_calls import Call

#: the audit action of each state a call reaches (after its creation)
ACTIONS = {
    "waiting": "help.call.ring",  # every operator busy: it waits to ring
    "ringing": "help.call.ring",  # rung (on) to an operator: ``detail.ringing_to``
    "active": "help.call.accept",
    "ended": "help.call.end",
    "missed": "help.call.missed",
    "cancelled": "help.call.cancel",
}


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 1)


def record_of(
    row: HelpCallRow, before: Call, after: Call, actor: str, at: datetime, created: bool = False
) -> AuditRecord:
    """The audit row of one change of a call (its creation when ``created``)."""
    if created:
        action = "help.call.missed" if after.state == "missed" else "help.call.create"
    else:
        action = ACTIONS[after.state]
    answered = row.answered_at or (at if after.state == "active" else None)
    detail: dict[str, Any] = {
        "call_id": row.call_id,
        "device_id": row.device_id,
        "source": row.source,
        "state": after.state,
        "operator": after.operator,
        "ringing_to": after.ringing_to,
        "waited_s": _seconds(row.created_at, answered or at),
        "talked_s": _seconds(answered, at) if after.state == "ended" else None,
        "outcome": row.outcome,
        "recording": row.recording,
    }
    return AuditRecord(
        actor=actor,
        action=action,
        result=Result.FAILED if after.state == "missed" else Result.OK,
        target=row.call_id,
        site=row.site_path,
        message=after.ended_reason if after.state in ("ended", "missed", "cancelled") else "",
        detail=detail,
    )
