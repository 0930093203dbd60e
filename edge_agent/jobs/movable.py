"""Movable (site) jobs on the agent: run one only once the broker has its ``accepted`` ack.

The cloud may give a site job to another device of the site when this one stays silent past
the job's delivery deadline (the command's ``exp``; protocol §7, failover). So a movable job
starts here only if the broker acknowledged (PUBACK) our ``accepted`` before that deadline:
then the cloud knows the job is ours and never moves it. Otherwise it must never run here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from edge_agent.jobs.journal import JobRecord, Journal
from protocols.envelope import wall_ms
from protocols.jobs import AckState, FailureReason
from protocols.messages import JobRunBase

if TYPE_CHECKING:
    from edge_agent.jobs.worker import Workers


def too_late(run: JobRunBase, now_ms: int | None = None) -> tuple[FailureReason, str]:
    """Why a ``job.run`` whose envelope ``exp`` had passed on arrival is failed unrun.

    For a movable job ``exp`` is only the delivery deadline: while its ``run_by`` has not
    passed, the job is still wanted — by the cloud, elsewhere or here in a new attempt — so
    the answer is the retryable ``connection_lost`` (nothing ran). ``expired`` would end the
    job for good, never printed, while its TTL still ran.
    """
    now = wall_ms() if now_ms is None else now_ms
    if run.movable and run.run_by is not None and now <= run.run_by:
        return FailureReason.CONNECTION_LOST, (
            "the job reached this device after its delivery deadline; it was not run here, "
            "so the cloud may run it elsewhere"
        )
    return FailureReason.EXPIRED, "the command expired before the job could start"


async def start_when_confirmed(
    rec: JobRecord,
    delivered: asyncio.Future[None] | None,
    workers: Workers,
    journal: Journal,
    unconfirmed: Callable[[JobRecord], Awaitable[None]],
) -> None:
    """Queue ``rec`` for its device's worker once ``delivered`` (the PUBACK of its
    ``accepted``) is set before ``rec.confirm_by``; else ``unconfirmed(rec)`` (the job
    fails, not run here)."""
    assert rec.confirm_by is not None
    confirmed = delivered is not None
    if delivered is not None:
        try:
            async with asyncio.timeout(max(0.0, (rec.confirm_by - wall_ms()) / 1000)):
                await asyncio.shield(delivered)
        except TimeoutError:
            confirmed = False
    current = journal.get(rec.job_id)
    if current is None or current.attempt != rec.attempt:
        return  # a newer attempt owns the job now
    if current.state is not AckState.ACCEPTED:  # canceled while we waited
        workers.forget(rec.job_id)
        return
    if confirmed:
        journal.confirm(rec.job_id)
        await workers.put(rec.peripheral or "", rec.job_id)
        return
    await unconfirmed(rec)
