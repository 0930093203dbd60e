"""``/api/v1/alerts`` and ``/api/v1/silences``: what is wrong in your scope, acknowledging it,
and silencing rules or subjects for a while (with who and why, in the audit log).

Reading needs ``devices.read``; acknowledging and silencing ``alerts.write`` (operators and
administrators). Everything is limited to the caller's site subtree: an alert elsewhere is a
404 worded like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from cloud import audit
from cloud.alerts import facts as fact_repo
from cloud.alerts import ops
from cloud.alerts.notices import Outbox
from cloud.alerts.tables import Alert, AlertEvent, AlertRule, Silence
from cloud.alerts.transitions import is_silenced
from cloud.api.alert_schemas import (
    AckIn,
    AlertDetail,
    AlertEventOut,
    AlertOut,
    AlertPage,
    SeverityName,
    SilenceIn,
    SilenceOut,
)
from cloud.api.auth_deps import client_ip, require, scope_of
from cloud.api.callers import DevicesReader
from cloud.api.deps import SessionsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.db.models import utcnow
from cloud.errors import NotFound
from cloud.schemas import DEVICE_ID_PATTERN
from fleet.access import Permission, in_scope
from fleet.alerts import OPEN_STATES

#: strict JSON bodies: a NUL in a silence's reason is refused (PostgreSQL cannot store one)
router = APIRouter(
    tags=["alerts"], responses=error_responses(401, 403, 422, 500), route_class=StrictJsonRoute
)
AlertsWriter = Annotated[Principal, Depends(require(Permission.ALERTS_WRITE))]
#: ids in paths are digits (a pattern, as every path id of the API has): 64-bit alert ids
AlertId = Annotated[str, Path(pattern=r"^[1-9][0-9]{0,17}$")]
SilenceId = Annotated[str, Path(pattern=r"^[1-9][0-9]{0,8}$")]
StateFilter = Literal["open", "pending", "firing", "resolved", "cleared", "all"]
_NOT_FOUND = {404: "no such alert (or outside your scope)"}


def in_subtree(column: InstrumentedAttribute[str], scope: str) -> ColumnElement[bool]:
    return (column == scope) | column.startswith(scope + "/", autoescape=True)


def _out(a: Alert, rule_name: str, silenced: bool) -> AlertOut:
    return AlertOut(
        id=a.id,
        rule_id=a.rule_id,
        rule_name=rule_name,
        subject=a.subject,
        state=a.state,
        severity=a.severity,
        site=a.site,
        device_id=a.device_id,
        summary=a.summary,
        value=a.value,
        started_at=a.started_at,
        fired_at=a.fired_at,
        ended_at=a.ended_at,
        acked_at=a.acked_at,
        acked_by=a.acked_by,
        ack_note=a.ack_note,
        notices=a.notices,
        silenced=silenced,
    )


async def _visible(s: AsyncSession, caller: Principal, alert_id: int) -> Alert:
    alert = await ops.lock_alert(s, alert_id)
    if alert is None or not caller.sees(alert.site):
        raise ops.alert_not_found(alert_id)
    return alert


async def _detail(s: AsyncSession, alert: Alert, now: datetime) -> AlertDetail:
    rule = await s.get(AlertRule, alert.rule_id)
    events = await s.scalars(
        select(AlertEvent).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)
    )
    silenced = is_silenced(alert, await fact_repo.silences(s, now), now)
    return AlertDetail(
        **_out(alert, rule.name if rule else "", silenced).model_dump(),
        history=[
            AlertEventOut(at=e.at, kind=e.kind, actor=e.actor, message=e.message)
            for e in events.all()
        ],
    )


@router.get(
    "/api/v1/alerts", response_model=AlertPage, summary="Alerts in your scope, newest first"
)
async def list_alerts(
    caller: DevicesReader,
    sessions: SessionsDep,
    state: Annotated[StateFilter, Query(description="open = pending or firing")] = "open",
    severity: SeverityName | None = None,
    site: SiteQuery = None,
    device: Annotated[str | None, Query(pattern=DEVICE_ID_PATTERN)] = None,
    rule_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> AlertPage:
    stmt = select(Alert, AlertRule.name).join(AlertRule, AlertRule.id == Alert.rule_id)
    stmt = stmt.where(in_subtree(Alert.site, scope_of(caller)))
    if state == "open":
        stmt = stmt.where(Alert.state.in_([s.value for s in OPEN_STATES]))
    elif state != "all":
        stmt = stmt.where(Alert.state == state)
    for column, value in (
        (Alert.severity, severity),
        (Alert.device_id, device),
        (Alert.rule_id, rule_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if site:
        stmt = stmt.where(in_subtree(Alert.site, site))
    if cursor is not None:
        stmt = stmt.where(Alert.id < cursor)
    now = utcnow()
    async with sessions() as s:
        rows = (await s.execute(stmt.order_by(Alert.id.desc()).limit(limit + 1))).all()
        quiet = await fact_repo.silences(s, now)
    items = [_out(a, name, is_silenced(a, quiet, now)) for a, name in rows[:limit]]
    more = len(rows) > limit
    return AlertPage(items=items, next_cursor=items[-1].id if more else None)


@router.get(
    "/api/v1/alerts/{alert_id}",
    response_model=AlertDetail,
    responses=error_responses(described=_NOT_FOUND),
)
async def get_alert(caller: DevicesReader, sessions: SessionsDep, alert_id: AlertId) -> AlertDetail:
    """One alert with its history (every transition and notice)."""
    async with sessions() as s:
        return await _detail(s, await _visible(s, caller, int(alert_id)), utcnow())


@router.post(
    "/api/v1/alerts/{alert_id}/ack",
    response_model=AlertDetail,
    responses=error_responses(
        400,
        413,
        described={**_NOT_FOUND, 409: "the alert is not open, or was already acknowledged"},
    ),
)
async def ack_alert(
    caller: AlertsWriter, sessions: SessionsDep, request: Request, alert_id: AlertId, body: AckIn
) -> AlertDetail:
    """Acknowledge an open alert: its reminders stop; it still resolves by itself."""
    outbox, now = Outbox(), utcnow()
    async with sessions() as s:
        alert = await _visible(s, caller, int(alert_id))
        await ops.ack(s, alert, caller.actor, body.note, now, outbox)
        audit.add(
            s,
            audit.AuditRecord(
                caller.actor,
                "alert.ack",
                audit.Result.OK,
                f"alert:{alert.id}",
                alert.site,
                client_ip(request),
                body.note,
                {"subject": alert.subject, "rule_id": alert.rule_id},
            ),
        )
        await s.commit()
        detail = await _detail(s, alert, now)
    await outbox.send(request.app.state.parts.notifier)
    return detail


def _silence_out(x: Silence, now: datetime) -> SilenceOut:
    return SilenceOut(
        id=x.id,
        rule_id=x.rule_id,
        subject=x.subject,
        site=x.site,
        starts_at=x.starts_at,
        ends_at=x.ends_at,
        created_by=x.created_by,
        reason=x.reason,
        created_at=x.created_at,
        expired_by=x.expired_by,
        active=x.starts_at <= now < x.ends_at,
    )


@router.get("/api/v1/silences", response_model=list[SilenceOut])
async def list_silences(
    caller: DevicesReader,
    sessions: SessionsDep,
    active: Annotated[bool, Query(description="only those in force now")] = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SilenceOut]:
    """Silences in your scope, newest first."""
    now = utcnow()
    stmt = select(Silence).where(in_subtree(Silence.site, scope_of(caller)))
    if active:
        stmt = stmt.where(Silence.ends_at > now)
    async with sessions() as s:
        rows = (await s.scalars(stmt.order_by(Silence.id.desc()).limit(limit))).all()
    return [_silence_out(x, now) for x in rows]


@router.post(
    "/api/v1/silences",
    response_model=SilenceOut,
    status_code=201,
    responses=error_responses(400, 413, described={404: "no such rule or site (in your scope)"}),
)
async def create_silence(
    caller: AlertsWriter, sessions: SessionsDep, request: Request, body: SilenceIn
) -> SilenceOut:
    """Silence a rule, a subject, or a rule for one subject, for a while: their alerts still
    open and resolve, but nobody is told."""
    now, scope = utcnow(), scope_of(caller)
    site = body.site or scope
    if not in_scope(scope, site):
        raise NotFound(f"site {site!r} not found")
    ends = now + timedelta(seconds=body.duration_s)
    async with sessions() as s:
        if body.rule_id is not None and await s.get(AlertRule, body.rule_id) is None:
            raise NotFound(f"alert rule {body.rule_id} does not exist; GET /api/v1/alert-rules")
        row = Silence(
            rule_id=body.rule_id,
            subject=body.subject,
            site=site,
            starts_at=now,
            ends_at=ends,
            created_by=caller.actor,
            reason=body.reason,
            created_at=now,
            expired_by="",
        )
        s.add(row)
        await s.flush()
        audit.add(
            s,
            audit.AuditRecord(
                caller.actor,
                "silence.create",
                audit.Result.OK,
                f"silence:{row.id}",
                site,
                client_ip(request),
                body.reason,
                {"rule_id": body.rule_id, "subject": body.subject, "ends_at": ends.isoformat()},
            ),
        )
        await s.commit()
    request.app.state.parts.alerts.wake()
    return _silence_out(row, now)


@router.post(
    "/api/v1/silences/{silence_id}/expire",
    response_model=SilenceOut,
    responses=error_responses(
        described={404: "no such silence (or outside your scope)", 409: "it already ended"}
    ),
)
async def expire_silence(
    caller: AlertsWriter, sessions: SessionsDep, request: Request, silence_id: SilenceId
) -> SilenceOut:
    """End a silence now: alerts it held back are told on the evaluator's next round."""
    now = utcnow()
    async with sessions() as s:
        row = await s.get(Silence, int(silence_id), with_for_update=True)
        if row is None or not caller.sees(row.site):
            raise ops.silence_not_found(int(silence_id))
        ops.expire(row, caller.actor, now)
        audit.add(
            s,
            audit.AuditRecord(
                caller.actor,
                "silence.expire",
                audit.Result.OK,
                f"silence:{row.id}",
                row.site,
                client_ip(request),
            ),
        )
        await s.commit()
    request.app.state.parts.alerts.wake()
    return _silence_out(row, now)
