"""The alert state machine: one open alert per (rule, subject), pending → firing → resolved.

Pure (no I/O, no clock): the cloud's evaluator asks :func:`step` for each (rule, subject)
whose condition holds or whose alert is open, applies the answer and tells the message
service when it says so. As Alertmanager does, a silence suppresses notices, not the alert:
a silenced alert still opens, is shown and resolves; it is announced once the silence ends
if it is still firing, and its resolution is told only to those who heard it open.

States: ``pending`` (the condition holds, not yet ``for_s`` long), ``firing``, ``resolved``
(cleared after firing) and ``cleared`` (cleared while pending: nobody was told).
Acknowledging stops reminders; it does not close the alert (the condition still holds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fleet.access import in_scope


class AlertState(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"
    CLEARED = "cleared"


OPEN_STATES = frozenset({AlertState.PENDING, AlertState.FIRING})


class Tell(StrEnum):
    """What to tell people (the values of ``cloud.notify.model.NoticeKind``)."""

    OPENED = "opened"
    REMINDER = "reminder"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertView:
    """What :func:`step` needs of an open alert."""

    state: AlertState
    started_at: datetime
    acked: bool = False
    #: notices sent so far (0: nobody has heard of it)
    notices: int = 0
    last_notice_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    #: the alert's new state (a new alert when there was none); None: unchanged
    state: AlertState | None = None
    tell: Tell | None = None


NOTHING = Step()


def step(
    alert: AlertView | None,
    holds: bool,
    now: datetime,
    *,
    for_s: float,
    repeat_s: float,
    silenced: bool,
) -> Step:
    """What happens to the (rule, subject) pair at ``now``."""
    if alert is None:
        if not holds:
            return NOTHING
        if for_s > 0:
            return Step(AlertState.PENDING)
        return Step(AlertState.FIRING, None if silenced else Tell.OPENED)
    if alert.state is AlertState.PENDING:
        if not holds:
            return Step(AlertState.CLEARED)
        if (now - alert.started_at).total_seconds() >= for_s:
            return Step(AlertState.FIRING, None if silenced else Tell.OPENED)
        return NOTHING
    if alert.state is not AlertState.FIRING:
        return NOTHING
    if not holds:
        told = alert.notices > 0 and not silenced
        return Step(AlertState.RESOLVED, Tell.RESOLVED if told else None)
    if silenced:
        return NOTHING
    if alert.notices == 0:
        return Step(None, Tell.OPENED)  # it fired under a silence that has ended
    if alert.acked or repeat_s <= 0 or alert.last_notice_at is None:
        return NOTHING
    if (now - alert.last_notice_at).total_seconds() >= repeat_s:
        return Step(None, Tell.REMINDER)
    return NOTHING


def ack_tell(alert: AlertView, silenced: bool) -> Tell | None:
    """Whether acknowledging ``alert`` is told (only to those who heard it open)."""
    return Tell.ACKNOWLEDGED if alert.notices > 0 and not silenced else None


@dataclass(frozen=True, slots=True)
class SilenceView:
    """A silence: by rule and/or subject, within a site subtree, for a period."""

    rule_id: int | None
    #: ``device:<id>`` also silences that device's peripherals and metrics
    subject: str | None
    site: str
    starts_at: datetime
    ends_at: datetime


def silences(
    s: SilenceView, rule_id: int, subject: str, device_id: str | None, site: str, now: datetime
) -> bool:
    """Whether ``s`` silences the alert of (``rule_id``, ``subject``) at ``now``."""
    if not s.starts_at <= now < s.ends_at:
        return False
    if s.site and not in_scope(s.site, site):
        return False
    if s.rule_id is not None and s.rule_id != rule_id:
        return False
    if s.subject is None or s.subject == subject:
        return True
    return s.subject.startswith("device:") and s.subject[len("device:") :] == device_id
