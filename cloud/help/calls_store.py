"""Reading and writing calls and duty: a row as ``fleet.help_calls`` sees it, the operators
on duty as ringing sees them, compare-and-set writes, and the views the routes show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.auth.principal import Principal
from cloud.db.identity import User
from cloud.db.models import Device, Site
from cloud.help.calls_model import CallView, Query
from cloud.help.calls_tables import HelpCallRow, HelpDutyRow
from fleet.access import in_scope
from fleet.help_calls import UNANSWERED, Call, Operator

_OPEN = (*UNANSWERED, "active")


def decision_of(row: HelpCallRow) -> Call:
    return Call(
        state=row.state,  # type: ignore[arg-type]  # the column holds only CallState values
        created_at=row.created_at,
        ringing_to=row.ringing_to,
        ringing_since=row.ringing_since,
        rung=tuple(row.rung or ()),
        operator=row.operator,
        ended_reason=row.ended_reason,
    )


async def write_over(s: AsyncSession, row: HelpCallRow, after: Call, extra: dict[str, Any]) -> bool:
    """Write ``after`` (and ``extra`` columns) only if the row is still the version it was
    decided on; False when another change came first (the caller decides again)."""
    result = await s.execute(
        update(HelpCallRow)
        .where(HelpCallRow.call_id == row.call_id, HelpCallRow.version == row.version)
        .values(
            state=after.state,
            ringing_to=after.ringing_to,
            ringing_since=after.ringing_since,
            rung=list(after.rung),
            operator=after.operator,
            ended_reason=after.ended_reason[:200],
            version=row.version + 1,
            **extra,
        )
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


async def operators_for(s: AsyncSession, site_path: str) -> list[Operator]:
    """Everyone on duty, each with whether they see ``site_path`` and are in a call."""
    duty = (await s.scalars(select(HelpDutyRow).where(HelpDutyRow.on_duty.is_(True)))).all()
    busy = set(
        (await s.scalars(select(HelpCallRow.operator).where(HelpCallRow.state == "active"))).all()
    )
    return [
        Operator(d.operator, in_scope(d.scope, site_path), d.operator in busy, d.free_since)
        for d in duty
    ]


async def open_call_of(s: AsyncSession, device_id: str) -> HelpCallRow | None:
    """The kiosk's call that is not over yet, if any (one at a time per kiosk)."""
    return (
        await s.scalars(
            select(HelpCallRow)
            .where(HelpCallRow.device_id == device_id, HelpCallRow.state.in_(_OPEN))
            .order_by(HelpCallRow.created_at.desc())
            .limit(1)
        )
    ).first()


async def same_request(s: AsyncSession, device_id: str, request_id: str) -> HelpCallRow | None:
    """The call an earlier try of this request made, if any."""
    return (
        await s.scalars(
            select(HelpCallRow).where(
                HelpCallRow.device_id == device_id, HelpCallRow.request_id == request_id
            )
        )
    ).first()


async def kiosks_offline(s: AsyncSession, now: datetime) -> dict[str, float | None]:
    """Each active call's id → seconds its kiosk has been offline (None: online)."""
    rows = await s.execute(
        select(HelpCallRow.call_id, Device.online, Device.silent_since, Device.last_seen)
        .join(Device, Device.id == HelpCallRow.device_id)
        .where(HelpCallRow.state == "active")
    )
    out: dict[str, float | None] = {}
    for call_id, online, silent_since, last_seen in rows:
        since = silent_since if online else (last_seen or now)
        out[call_id] = None if since is None else (now - since).total_seconds()
    return out


async def unanswered_ids(s: AsyncSession) -> list[str]:
    rows = await s.scalars(select(HelpCallRow.call_id).where(HelpCallRow.state.in_(UNANSWERED)))
    return list(rows.all())


async def views(s: AsyncSession, rows: Sequence[HelpCallRow]) -> list[CallView]:
    """The rows with their site names and, for unanswered calls, their place in the queue
    (1 = the longest waiting call anywhere)."""
    paths = {r.site_path for r in rows}
    names: dict[str, str] = {}
    if paths:
        found = await s.execute(select(Site.path, Site.name).where(Site.path.in_(paths)))
        names = {path: name for path, name in found}
    waiting = list(
        (
            await s.scalars(
                select(HelpCallRow.created_at)
                .where(HelpCallRow.state.in_(UNANSWERED))
                .order_by(HelpCallRow.created_at)
            )
        ).all()
    )
    out = []
    for r in rows:
        position = None
        if r.state in UNANSWERED:
            position = 1 + sum(1 for at in waiting if at < r.created_at)
        out.append(CallView(r, names.get(r.site_path, ""), position))
    return out


async def listed(s: AsyncSession, query: Query) -> list[HelpCallRow]:
    """Calls in ``query.scope`` (and ``site``'s subtree), newest first."""
    stmt = select(HelpCallRow).order_by(HelpCallRow.created_at.desc()).limit(query.limit)
    for root in (query.scope, query.site):
        if root is not None:
            stmt = stmt.where(
                (HelpCallRow.site_path == root) | HelpCallRow.site_path.startswith(root + "/")
            )
    if query.state is not None:
        stmt = stmt.where(HelpCallRow.state == query.state)
    if query.open_only:
        stmt = stmt.where(HelpCallRow.state.in_(_OPEN))
    if query.since is not None:
        stmt = stmt.where(HelpCallRow.created_at >= query.since)
    return list((await s.scalars(stmt)).all())


async def set_duty(
    s: AsyncSession, operator: str, name: str, scope: str, on: bool, now: datetime
) -> HelpDutyRow:
    row = await s.get(HelpDutyRow, operator)
    if row is None:
        row = HelpDutyRow(operator=operator, name=name, scope=scope, on_duty=on, since=now)
        row.free_since = now
        s.add(row)
    elif row.on_duty != on:
        row.on_duty, row.since, row.free_since = on, now, now
    row.name, row.scope = name, scope
    return row


async def on_duty(s: AsyncSession, scope: str) -> list[HelpDutyRow]:
    """Operators on duty whose scope meets ``scope`` (either holds the other)."""
    rows = (await s.scalars(select(HelpDutyRow).where(HelpDutyRow.on_duty.is_(True)))).all()
    return [r for r in rows if in_scope(scope, r.scope) or in_scope(r.scope, scope)]


async def display_name(s: AsyncSession, caller: Principal) -> str:
    """How the citizen and the console name an operator: a user's display name, else the
    login or token name."""
    if caller.user_id is not None:
        user = await s.get(User, caller.user_id)
        if user is not None and user.display_name:
            return user.display_name[:128]
    return caller.name[:128]


async def set_free(s: AsyncSession, operator: str, at: datetime) -> None:
    """The operator's call is over: they are free (and idle) from ``at``."""
    await s.execute(
        update(HelpDutyRow).where(HelpDutyRow.operator == operator).values(free_since=at)
    )
