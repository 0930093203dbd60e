"""Commands to devices: a job's ``job.run`` (params completed, delivery deadline on the
device's clock), ``job.cancel`` and ``rebirth``, built here and published on the bus.

A site job's ``job.run`` is *movable* (see :mod:`fleet.failover`): its envelope ``exp`` is
the send time + ``failover_grace_s``, moved onto the device's own clock by the estimated
offset, and ``run_by`` names the job's expiry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloud.bus import Bus
from cloud.clocks import DeviceClocks
from cloud.db.models import Job, utcnow
from cloud.errors import BusUnavailable
from cloud.grants import Grants
from protocols.jobs import FETCH_KINDS, UPLOAD_KINDS, JobKind
from protocols.messages import JobCancel, JobRunBase, Rebirth, make_job_run

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A command to publish once the transaction that decided it has committed."""

    device_id: str
    job_id: str
    kind: str
    attempt: int
    params: dict[str, Any]
    expires_at: datetime
    #: sent to a site: may move to another device if this one does not confirm it in time
    movable: bool = False
    #: a cancel is pending: the device is asked to cancel, not to run
    cancel: bool = False

    @classmethod
    def of(cls, job: Job) -> Outgoing:
        assert job.assigned_device_id is not None
        return cls(
            job.assigned_device_id,
            job.id,
            job.kind,
            job.attempts,
            job.params,
            job.expires_at,
            movable=job.target_site_id is not None,
            cancel=job.cancel_requested_at is not None,
        )


class Commands:
    """Builds and publishes commands; a failed publish is only logged (timeouts resend)."""

    def __init__(
        self, bus: Bus, grants: Grants, clocks: DeviceClocks, failover_grace_s: float
    ) -> None:
        self._bus = bus
        self._grants = grants
        self._clocks = clocks
        self._grace_s = failover_grace_s

    def job_run(self, out: Outgoing) -> tuple[JobRunBase, int]:
        """The ``job.run`` of ``out`` and its envelope TTL (ms, on the device's clock)."""
        kind = JobKind(out.kind)
        params = out.params
        if kind in UPLOAD_KINDS and (
            kind is not JobKind.PRINT_RECEIPT or self._grants.receipt_proof
        ):
            # a fresh grant on every send: a resend outlives the old one
            params = {**params, "uploads": self._grants.uploads_for(out.job_id).model_dump()}
        if kind in FETCH_KINDS:  # a fresh read token per send, like the upload grant
            fetch = self._grants.fetch_for(str(params["document"]))
            params = {**params, "fetch": fetch.model_dump()}
        movable = out.movable and self._grace_s > 0
        run_by = int(out.expires_at.timestamp() * 1000)  # UtcDateTime: always aware
        body = make_job_run(
            job_id=out.job_id,
            kind=kind,
            attempt=out.attempt,
            params=params,
            movable=movable,
            run_by=run_by if movable else None,
        )
        ttl_ms = max(0, int((out.expires_at - utcnow()).total_seconds() * 1000))
        if movable:  # the envelope's exp becomes the delivery deadline, on the device's clock
            ttl_ms = min(ttl_ms, int(self._grace_s * 1000))
            offset = self._clocks.offset_ms(out.device_id)
            if offset:  # offset = cloud - device (+ delay): a slow clock gets an earlier exp
                ttl_ms -= offset  # may go below 0: exp is on the device's clock, not ours
        return body, ttl_ms

    def backlog(self) -> int:
        """Device messages received and not yet handled (the job intake's second limit)."""
        return self._bus.queue_depth()

    async def send(self, out: Outgoing) -> bool:
        """Publish the job's command (``job.cancel`` if a cancel is pending); False if the
        bus is down (the ack timeout brings it back)."""
        if out.cancel:
            return await self.send_cancel(out.device_id, out.job_id)
        body, ttl_ms = self.job_run(out)
        try:
            await self._bus.send_command(out.device_id, body, ttl_ms=ttl_ms)
        except BusUnavailable as err:
            log.warning("job %s not sent yet: %s", out.job_id, err)
            return False
        return True

    async def send_cancel(self, device_id: str, job_id: str) -> bool:
        try:
            await self._bus.send_command(device_id, JobCancel(job_id=job_id))
        except BusUnavailable as err:
            log.warning("cancel of job %s not sent to %s: %s", job_id, device_id, err)
            return False
        return True

    async def send_rebirth(self, device_id: str) -> None:
        """Ask a device to publish birth and state again (the cloud lost track of it)."""
        try:
            await self._bus.send_command(device_id, Rebirth())
        except BusUnavailable as err:
            log.warning("rebirth request not sent to %s: %s", device_id, err)
