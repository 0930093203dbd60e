"""A citizen takes a queue ticket at a kiosk: the site's queue (built-in or the city's) gives
the ticket, and the same kiosk prints it (a ``print_receipt`` job) with a QR to follow it.

Idempotent per kiosk request id: the job's idempotency key is ``kiosk-ticket:<device>:<id>``
and its QR names the ticket, so a repeated request (a kiosk retrying after a lost answer)
gets the same ticket and job back, and a concurrent duplicate gives its own ticket back to
the queue (cancelled) instead of leaving a phantom citizen in line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.db import devices as device_repo
from cloud.db import jobs as job_repo
from cloud.db.hall import HallQueue, HallService
from cloud.db.models import Device, Job, Site, utcnow
from cloud.errors import CloudError, Conflict, NotFound, Unprocessable
from cloud.hall import ticket_token
from cloud.hall.backend import QueueBackend, TicketView
from cloud.hall.backends import QueueBackends
from cloud.hall.ticket_receipt import ReceiptNames, follow_url_of, receipt
from cloud.jobs import JobService
from cloud.schemas import DeviceTarget, JobCreate
from fleet.routing import device_target_refusal
from protocols.jobs import CAPABILITY_FOR_KIND, JobKind

log = logging.getLogger(__name__)


class UnknownService(Unprocessable):
    code = "unknown_service"


@dataclass(frozen=True, slots=True)
class KioskTicket:
    ticket: TicketView
    names: ReceiptNames
    job_id: str
    follow_url: str
    created: bool


class KioskTickets:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        jobs: JobService,
        backends: QueueBackends,
        secret: str,
        base_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._jobs = jobs
        self.backends = backends
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    def follow_url(self, site: str, ticket_id: int, now: datetime) -> str:
        return f"{self._base_url}/t/{ticket_token.sign(self._secret, site, ticket_id, now)}"

    async def take(self, caller: Principal, service: str, request_id: str) -> KioskTicket:
        site, device = caller.device_site or "", caller.name
        key = f"kiosk-ticket:{device}:{request_id}" if request_id else None
        async with self._sessions() as s:
            names = await receipt_names(s, site, service)
            existing = await job_repo.by_idempotency_key(s, key) if key else None
            if existing is None:
                await _check_printer(s, device)
        if existing is not None:
            return await self._replay(existing, site, names)
        backend = self.backends.backend_for(site)
        ticket = await backend.take(site, service, source="kiosk")
        url = self.follow_url(site, ticket.id, self._clock())
        req = JobCreate(
            kind=JobKind.PRINT_RECEIPT,
            target=DeviceTarget(device_id=device),
            params=receipt(ticket, names, url).model_dump(mode="json", exclude_none=True),
            idempotency_key=key,
            purpose="ticket",
        )
        try:
            job, _ = await self._jobs.create(req, caller)
        except Conflict:
            await _give_back(backend, site, ticket)
            async with self._sessions() as s:  # a duplicate request printed first
                existing = await job_repo.by_idempotency_key(s, key) if key else None
            if existing is None:
                raise
            return await self._replay(existing, site, names)
        except CloudError:
            await _give_back(backend, site, ticket)
            raise
        return KioskTicket(ticket, names, job.id, url, created=True)

    async def follow(self, token: str) -> tuple[TicketView, str, str]:
        """The ticket a phone link names, with its site's and service's names."""
        link = ticket_token.verify(self._secret, token, self._clock())
        ticket = await self.backends.backend_for(link.site).ticket(link.site, link.ticket_id)
        async with self._sessions() as s:
            site_row = await s.scalar(select(Site).where(Site.path == link.site))
            service = await s.scalar(
                select(HallService.name_zh).where(
                    HallService.site_id == (site_row.id if site_row else -1),
                    HallService.code == ticket.service_code,
                )
            )
        site_name = site_row.name if site_row is not None else link.site
        return ticket, site_name, service or ticket.service_code

    async def _replay(self, job: Job, site: str, names: ReceiptNames) -> KioskTicket:
        url = follow_url_of(job.params)
        token = url.rpartition("/t/")[2]
        link = ticket_token.verify(self._secret, token, job.created_at)
        ticket = await self.backends.backend_for(site).ticket(site, link.ticket_id)
        return KioskTicket(ticket, names, job.id, url, created=False)


async def _give_back(backend: QueueBackend, site: str, ticket: TicketView) -> None:
    try:
        await backend.cancel(site, ticket.id)
    except CloudError:
        log.warning("could not cancel unprinted ticket %s at %s", ticket.ticket_no, site)


async def _check_printer(s: AsyncSession, device_id: str) -> None:
    device = await s.get(Device, device_id)
    if device is None:
        raise NotFound(f"device {device_id} is not registered")
    kind = JobKind.PRINT_RECEIPT
    why = device_target_refusal(
        device_id, device_repo.peripherals(device), CAPABILITY_FOR_KIND[kind], kind.value
    )
    if why:
        raise Conflict(f"this kiosk cannot print tickets: {why}")


async def receipt_names(s: AsyncSession, site: str, service: str) -> ReceiptNames:
    """Names for the paper; :class:`UnknownService` lists what the site offers."""
    site_row = await s.scalar(select(Site).where(Site.path == site))
    if site_row is None:
        raise NotFound(f"site {site} not found")
    rows = (
        await s.execute(
            select(HallService, HallQueue)
            .join(HallQueue, HallService.queue_id == HallQueue.id)
            .where(HallService.site_id == site_row.id, HallService.active.is_(True))
            .order_by(HallService.code)
        )
    ).all()
    for svc, queue in rows:
        if svc.code == service:
            return ReceiptNames(site_row.name, queue.name_zh, queue.name_en, svc.name_zh)
    offered = ", ".join(f"{svc.code} ({svc.name_zh})" for svc, _ in rows) or "none configured"
    raise UnknownService(f"service {service!r} is not offered at {site}; choose one of: {offered}")
