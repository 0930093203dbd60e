"""The job queries of the dispatcher and the job list: which jobs need what, right now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db import sites as site_repo
from cloud.db.models import Device, Job, Site
from protocols.jobs import JobKind, JobState

#: Jobs a device may hold (dispatched to it, confirmed, under way).
HELD = (JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING)


async def page(
    s: AsyncSession,
    *,
    state: JobState | None,
    device: str | None,
    site: str | None,
    kind: JobKind | None,
    limit: int,
    offset: int,
    scope: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Sequence[Job], int]:
    """A page of jobs, newest first, and how many match in all; only jobs of sites in the
    subtree ``scope`` when given (the caller's), created in ``[since, until)`` when given."""
    stmt = select(Job)
    if scope is not None:
        stmt = stmt.where(Job.site_id.in_(select(Site.id).where(site_repo.in_subtree(scope))))
    if state is not None:
        stmt = stmt.where(Job.state == state.value)
    if device:
        stmt = stmt.where(or_(Job.assigned_device_id == device, Job.target_device_id == device))
    if kind is not None:
        stmt = stmt.where(Job.kind == kind.value)
    if site:
        stmt = stmt.where(Job.site_id.in_(select(Site.id).where(site_repo.in_subtree(site))))
    if since is not None:
        stmt = stmt.where(Job.created_at >= since)
    if until is not None:
        stmt = stmt.where(Job.created_at < until)
    total = await s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await s.scalars(stmt.order_by(Job.created_at.desc()).limit(limit).offset(offset))
    return rows.all(), total


async def expiring(s: AsyncSession, now: datetime, limit: int) -> Sequence[Job]:
    """Jobs no device confirmed within their TTL."""
    stmt = select(Job).where(
        Job.state.in_((JobState.QUEUED, JobState.DISPATCHED)), Job.expires_at <= now
    )
    return (await s.scalars(stmt.limit(limit))).all()


async def stranded(
    s: AsyncSession, cutoff: datetime, now: datetime, limit: int
) -> Sequence[tuple[Job, bool]]:
    """Dispatched site jobs sent before ``cutoff`` whose device is offline (with its
    ``online`` flag, for the failover policy to judge)."""
    stmt = (
        select(Job, Device.online)
        .join(Device, Device.id == Job.assigned_device_id)
        .where(
            Job.state == JobState.DISPATCHED,
            Job.target_site_id.is_not(None),
            Device.online.is_(False),
            Job.sent_at <= cutoff,
            Job.expires_at > now,
        )
        .limit(limit)
    )
    return [(job, bool(online)) for job, online in (await s.execute(stmt)).all()]


async def due_ids(s: AsyncSession, now: datetime, limit: int) -> Sequence[str]:
    """Queued jobs that may run now: retries that are due, devices that are online."""
    stmt = (
        select(Job.id)
        .outerjoin(Device, Device.id == Job.target_device_id)
        .where(
            Job.state == JobState.QUEUED,
            Job.expires_at > now,
            or_(Job.next_attempt_at.is_(None), Job.next_attempt_at <= now),
            or_(Job.target_site_id.is_not(None), Device.online.is_(True)),
        )
        .order_by(Job.created_at)
        .limit(limit)
    )
    return (await s.scalars(stmt)).all()


def _held_by_online(limit: int) -> Select[Job]:
    return (
        select(Job)
        .join(Device, Device.id == Job.assigned_device_id)
        .where(Device.online.is_(True))
        .limit(limit)
    )


async def overdue(
    s: AsyncSession, ack_cutoff: datetime, quiet_since: datetime, limit: int
) -> Sequence[Job]:
    """Jobs of online devices whose ``accepted`` is overdue (sent before ``ack_cutoff``), or
    under way but silent since ``quiet_since``."""
    stmt = _held_by_online(limit).where(
        or_(
            and_(
                Job.state == JobState.DISPATCHED,
                or_(Job.sent_at.is_(None), Job.sent_at <= ack_cutoff),
            ),
            and_(
                Job.state.in_((JobState.ACCEPTED, JobState.RUNNING)),
                Job.updated_at <= quiet_since,
                Job.sent_at <= quiet_since,
            ),
        )
    )
    return (await s.scalars(stmt)).all()


async def held_since(s: AsyncSession, device_id: str, since: datetime, limit: int) -> Sequence[Job]:
    """Jobs ``device_id`` may hold whose command was sent before its session of ``since``."""
    stmt = _held_by_online(limit).where(
        Job.state.in_(HELD), Job.assigned_device_id == device_id, Job.sent_at < since
    )
    return (await s.scalars(stmt)).all()


async def queued_for(s: AsyncSession, device: Device, limit: int) -> Sequence[str]:
    """Queued jobs aimed at ``device`` or at its site, oldest first."""
    stmt = (
        select(Job.id)
        .where(
            Job.state == JobState.QUEUED,
            or_(Job.target_device_id == device.id, Job.target_site_id == device.site_id),
        )
        .order_by(Job.created_at)
        .limit(limit)
    )
    return (await s.scalars(stmt)).all()
