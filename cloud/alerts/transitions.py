"""Applying ``fleet.alerts.step`` to the alert rows of one rule, with a history row for each
change and each notice (the caller commits; notices wait in the :class:`Outbox`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cloud.alerts.notices import Outbox, RuleInfo
from cloud.alerts.tables import Alert, AlertEvent
from fleet.alert_conditions import Facts, Finding, findings
from fleet.alert_rules import RuleSpec
from fleet.alerts import AlertState, AlertView, SilenceView, Step, Tell, silences, step


def view_of(alert: Alert) -> AlertView:
    return AlertView(
        AlertState(alert.state),
        alert.started_at,
        alert.acked_at is not None,
        alert.notices,
        alert.last_notice_at,
    )


def is_silenced(alert: Alert, all_silences: Sequence[SilenceView], at: datetime) -> bool:
    return any(
        silences(s, alert.rule_id, alert.subject, alert.device_id, alert.site, at)
        for s in all_silences
    )


def event(
    s: AsyncSession,
    alert: Alert,
    kind: str,
    at: datetime,
    message: str = "",
    actor: str = "evaluator",
) -> None:
    s.add(
        AlertEvent(alert_id=alert.id, at=at, kind=kind, actor=actor[:160], message=message[:1024])
    )


def record_tell(
    s: AsyncSession, alert: Alert, rule: RuleInfo, tell: Tell, at: datetime, outbox: Outbox
) -> None:
    alert.notices += 1
    alert.last_notice_at = at
    event(s, alert, f"notified:{tell.value}", at, f"channels: {', '.join(rule.channels) or '-'}")
    outbox.add(alert, rule, tell, at)


def _move(alert: Alert, state: AlertState, at: datetime) -> None:
    alert.state = state.value
    alert.updated_at = at
    if state is AlertState.FIRING:
        alert.fired_at = at
    elif state in (AlertState.RESOLVED, AlertState.CLEARED):
        alert.ended_at = at
        alert.open_key = None


async def _open(
    s: AsyncSession, spec: RuleSpec, f: Finding, state: AlertState, at: datetime
) -> Alert:
    alert = Alert(
        rule_id=spec.id,
        subject=f.subject,
        open_key=f"{spec.id}:{f.subject}",
        state=state.value,
        severity=spec.severity,
        site=f.site,
        device_id=f.device_id,
        summary=f.summary[:1024],
        value=f.value,
        started_at=at,
        fired_at=at if state is AlertState.FIRING else None,
        acked_by="",
        ack_note="",
        notices=0,
        updated_at=at,
    )
    s.add(alert)
    await s.flush()  # its id, for the history and the notice; a duplicate fails here
    return alert


async def apply_rule(
    s: AsyncSession,
    spec: RuleSpec,
    facts: Facts,
    open_alerts: Sequence[Alert],
    all_silences: Sequence[SilenceView],
    at: datetime,
    outbox: Outbox,
) -> None:
    """Move every pair of ``spec`` one step at ``at``."""
    found = findings(spec, facts, at)
    by_subject = {a.subject: a for a in open_alerts}
    rule = RuleInfo(spec.id, spec.name, spec.channels)
    for subject in sorted(found.keys() | by_subject.keys()):
        f = found.get(subject)
        alert = by_subject.get(subject)
        if alert is None:
            assert f is not None
            silenced = any(
                silences(x, spec.id, subject, f.device_id, f.site, at) for x in all_silences
            )
            got = step(None, True, at, for_s=spec.for_s, repeat_s=spec.repeat_s, silenced=silenced)
            if got.state is None:
                continue
            alert = await _open(s, spec, f, got.state, at)
            event(s, alert, got.state.value, at, f.summary)
        else:
            silenced = is_silenced(alert, all_silences, at)
            got = step(
                view_of(alert),
                f is not None,
                at,
                for_s=spec.for_s,
                repeat_s=spec.repeat_s,
                silenced=silenced,
            )
            if f is not None:
                alert.summary, alert.value, alert.severity = (
                    f.summary[:1024],
                    f.value,
                    spec.severity,
                )
            _apply(s, alert, got, at, "the condition no longer holds" if f is None else "")
        if got.tell is not None:
            record_tell(s, alert, rule, got.tell, at, outbox)


def _apply(s: AsyncSession, alert: Alert, got: Step, at: datetime, why: str) -> None:
    if got.state is None:
        return
    _move(alert, got.state, at)
    event(s, alert, got.state.value, at, why or alert.summary)


def close_orphans(
    s: AsyncSession, alerts: Sequence[Alert], existing: set[int], at: datetime
) -> None:
    """Open alerts of rules now disabled (or unparseable) close without telling anyone: the
    rule no longer judges them."""
    for alert in alerts:
        if alert.rule_id not in existing:
            continue  # deleted: its alerts went with it
        state = AlertState.RESOLVED if alert.state == AlertState.FIRING else AlertState.CLEARED
        _move(alert, state, at)
        event(s, alert, state.value, at, "its rule was disabled")
