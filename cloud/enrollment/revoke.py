"""Revoking a device: cut off at once, everywhere, with its work handed on.

In one transaction: the device is marked revoked and offline, every credential of it revoked
(HTTP refuses it from the commit on), and its unfinished jobs settled (:func:`plan_jobs`);
before the commit the broker disables its identity, which kicks a connected device and
refuses its reconnects. Site jobs that went back to the queue are dispatched to another
device of the site right after the commit. Enrolling again with a new token undoes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from cloud import audit
from cloud.auth.principal import Principal
from cloud.broker_acl.access import BrokerAccess, BrokerAclError, ClientNotFound
from cloud.db import jobs as job_repo
from cloud.db.identity import DeviceCredential
from cloud.db.models import Device, DeviceEvent, Job, Site, utcnow
from cloud.dispatcher import Dispatcher
from cloud.enrollment.errors import BrokerUnavailable
from cloud.enrollment.schemas import DeviceRevoked
from cloud.errors import NotFound
from cloud.hub import ChangeHub
from protocols.jobs import PRINT_KINDS, FailureReason, JobKind, JobState

DEVICE_REVOKED = FailureReason.DEVICE_REVOKED.value
#: unfinished: the device may hold them, or they wait for it
OPEN_STATES = (JobState.QUEUED, JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING)
RACE_RETRIES = 3


@dataclass
class JobPlan:
    failed: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)


def _outcome(job: Job, device_id: str) -> tuple[JobState, str]:
    """Where a job of a revoked device goes, and the message saying why."""
    gone = f"device {device_id} was revoked before the job finished"
    running_print = JobState(job.state) is JobState.RUNNING and JobKind(job.kind) in PRINT_KINDS
    if job.target_site_id is None:  # aimed at this device: nobody else may run it
        why = "it may have printed already (it was running)" if running_print else "send it again"
        return JobState.FAILED, f"{gone}; {why}"
    if running_print:  # paper may be out: an operator decides, the system never reprints
        return JobState.UNCERTAIN, (
            f"device {device_id} was revoked while printing; check whether the paper came "
            "out, then resolve the job (reprint or done)"
        )
    return JobState.QUEUED, f"device {device_id} was revoked; another device of the site takes it"


def _settle(s: AsyncSession, job: Job, device_id: str, now: datetime, plan: JobPlan) -> None:
    new, msg = _outcome(job, device_id)
    {JobState.FAILED: plan.failed, JobState.UNCERTAIN: plan.uncertain}.get(
        new, plan.requeued
    ).append(job.id)
    job_repo.transition(s, job, new, source="operator", reason=DEVICE_REVOKED, message=msg, now=now)
    if new is JobState.QUEUED:
        job.assigned_device_id = None
        job.next_attempt_at = None


async def plan_jobs(s: AsyncSession, device_id: str, now: datetime) -> JobPlan:
    """Fail its own unfinished jobs; give back (or hand to an operator) the site jobs it held."""
    jobs = (
        await s.scalars(
            select(Job)
            .where(
                Job.state.in_(OPEN_STATES),
                or_(
                    Job.target_device_id == device_id,
                    (Job.assigned_device_id == device_id)
                    & Job.target_site_id.is_not(None)
                    & (Job.state != JobState.QUEUED),
                ),
            )
            .order_by(Job.created_at)
        )
    ).all()
    plan = JobPlan()
    for job in jobs:
        _settle(s, job, device_id, now, plan)
    return plan


class Revoker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        access: BrokerAccess,
        dispatcher: Dispatcher,
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._access = access
        self._dispatcher = dispatcher

    async def revoke(self, caller: Principal, device_id: str, reason: str) -> DeviceRevoked:
        for attempt in range(RACE_RETRIES):
            try:
                out = await self._revoke_once(caller, device_id, reason)
                break
            except StaleDataError:  # an ack moved one of its jobs meanwhile: look again
                if attempt == RACE_RETRIES - 1:
                    raise
        self._hub.publish(f"device:{device_id}", "revoked")
        if out.jobs_requeued:
            await self._dispatcher.dispatch_ids(out.jobs_requeued, utcnow())
        return out

    async def _revoke_once(self, caller: Principal, device_id: str, reason: str) -> DeviceRevoked:
        now = utcnow()
        async with self._sessions() as s:
            device = await s.get(Device, device_id)
            site = await s.get(Site, device.site_id) if device is not None else None
            if device is None or site is None or not caller.sees(site.path):
                raise NotFound(f"device {device_id!r} not found")
            device.revoked_at = device.revoked_at or now
            device.revoked_reason = reason
            device.online = False
            creds = await s.execute(
                update(DeviceCredential)
                .where(
                    DeviceCredential.device_id == device_id, DeviceCredential.revoked_at.is_(None)
                )
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )
            plan = await plan_jobs(s, device_id, now)
            s.add(DeviceEvent(device_id=device_id, kind="revoked", reason=reason[:1024]))
            out = DeviceRevoked(
                device_id=device_id,
                site=site.path,
                revoked_at=device.revoked_at,
                reason=reason,
                credentials_revoked=int(getattr(creds, "rowcount", 0) or 0),
                jobs_failed=plan.failed,
                jobs_requeued=plan.requeued,
                jobs_uncertain=plan.uncertain,
            )
            audit.add(s, _record(caller, out))
            await s.flush()
            await self._disable(s, device_id)
            await job_repo.commit(s, self._hub)
        return out

    async def _disable(self, s: AsyncSession, device_id: str) -> None:
        try:
            await self._access.disable_device(device_id)
        except ClientNotFound:
            pass  # never enrolled at the broker (registered by a birth on an open broker)
        except BrokerAclError as err:
            await s.rollback()
            raise BrokerUnavailable(
                f"the broker did not disable device {device_id} ({err}); nothing was changed: "
                "the device is NOT revoked yet, try again"
            ) from err


def _record(caller: Principal, out: DeviceRevoked) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=caller.actor,
        action="device.revoke",
        result=audit.Result.OK,
        target=f"device:{out.device_id}",
        site=out.site,
        ip=caller.ip,
        message=out.reason,
        detail={
            "credentials_revoked": out.credentials_revoked,
            "jobs_failed": out.jobs_failed,
            "jobs_requeued": out.jobs_requeued,
            "jobs_uncertain": out.jobs_uncertain,
        },
    )
