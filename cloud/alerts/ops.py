"""What people do to alerts: acknowledge one, silence rules or subjects, expire a silence.

Each works in the caller's session (the API adds its audit row to the same transaction);
notices wait in the :class:`~cloud.alerts.notices.Outbox` until the caller has committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.alerts import facts as fact_repo
from cloud.alerts.notices import Outbox, RuleInfo
from cloud.alerts.tables import Alert, AlertRule, Silence
from cloud.alerts.transitions import event, is_silenced, record_tell, view_of
from cloud.errors import Conflict, NotFound
from fleet.alerts import OPEN_STATES, AlertState, ack_tell


def alert_not_found(alert_id: int) -> NotFound:
    return NotFound(
        f"alert {alert_id} does not exist (or is outside your scope); "
        "GET /api/v1/alerts lists the ones you may see"
    )


async def ack(
    s: AsyncSession, alert: Alert, actor: str, note: str, at: datetime, outbox: Outbox
) -> None:
    """Acknowledge an open alert: reminders stop, people who heard it open are told who."""
    if AlertState(alert.state) not in OPEN_STATES:
        raise Conflict(
            f"alert {alert.id} is {alert.state}: only an open (pending or firing) alert can be "
            "acknowledged"
        )
    if alert.acked_at is not None:
        raise Conflict(f"alert {alert.id} was already acknowledged by {alert.acked_by}")
    rule = await s.get(AlertRule, alert.rule_id)
    assert rule is not None  # alerts go with their rule
    silenced = is_silenced(alert, await fact_repo.silences(s, at), at)
    tell = ack_tell(view_of(alert), silenced)
    alert.acked_at, alert.acked_by, alert.ack_note = at, actor[:160], note[:500]
    alert.updated_at = at
    event(s, alert, "acknowledged", at, note, actor)
    if tell is not None:
        record_tell(s, alert, RuleInfo(rule.id, rule.name, tuple(rule.channels)), tell, at, outbox)


async def lock_alert(s: AsyncSession, alert_id: int) -> Alert | None:
    """The alert, locked against the evaluator until the caller commits (PostgreSQL)."""
    return await s.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())


def silence_not_found(silence_id: int) -> NotFound:
    return NotFound(
        f"silence {silence_id} does not exist (or is outside your scope); "
        "GET /api/v1/silences lists the ones you may see"
    )


def expire(silence: Silence, actor: str, at: datetime) -> None:
    if silence.ends_at <= at:
        raise Conflict(f"silence {silence.id} already ended at {silence.ends_at.isoformat()}")
    silence.ends_at = max(at, silence.starts_at)
    silence.expired_by = actor[:160]
