"""Printing a PDF on **the calling kiosk's** A4 printer, so the paper comes out where the citizen
stands: the one path the guide, the e-forms and the certificates share.

Each caller keeps its own words for a refusal (a guide points to the QR code, a certificate to
another kiosk or a window): :func:`a4_refusal` says *why* a kiosk cannot print A4 now, and the
caller raises its own :class:`~cloud.kiosk.errors.KioskError` with that reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.blobs import BlobStore
from cloud.db import devices as device_repo
from cloud.db import jobs as job_repo
from cloud.db.models import Device, Site
from cloud.jobs import JobService
from cloud.schemas import DeviceTarget, JobCreate, PrintPurpose
from fleet.routing import device_target_refusal
from protocols.jobs import CAPABILITY_FOR_KIND, JobKind


async def a4_refusal(
    sessions: async_sessionmaker[AsyncSession], device_id: str, site: str
) -> tuple[str, str]:
    """``(why, site_name)``: why ``device_id`` cannot print A4 now ("" when it can) and the
    name of its site (the path when the site has no name)."""
    async with sessions() as s:
        device = await s.get(Device, device_id)
        name = await s.scalar(select(Site.name).where(Site.path == site))
    if device is None:
        return f"device {device_id} is not registered", name or site
    kind = JobKind.PRINT_DOCUMENT
    why = device_target_refusal(
        device_id, device_repo.peripherals(device), CAPABILITY_FOR_KIND[kind], kind.value
    )
    return why or "", name or site


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def store_pdf(blobs: BlobStore, pdf: bytes) -> str:
    """Store ``pdf`` as a blob; its sha256 (the ``document`` of a ``print_document`` job)."""
    sha = hashlib.sha256(pdf).hexdigest()
    await blobs.put(sha, _once(pdf))
    return sha


class CallerPrinter:
    """Sends a stored PDF to the calling kiosk as a ``print_document`` job, once per key."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], jobs: JobService, blobs: BlobStore
    ) -> None:
        self._sessions = sessions
        self._jobs = jobs
        self._blobs = blobs

    async def job_for_key(self, key: str | None) -> str | None:
        """The job already made for ``key`` (a retry after a lost answer: the paper is on its
        way), else None."""
        if key is None:
            return None
        async with self._sessions() as s:
            existing = await job_repo.by_idempotency_key(s, key)
        return existing.id if existing is not None else None

    async def refusal(self, caller: Principal) -> tuple[str, str]:
        """:func:`a4_refusal` for the calling kiosk."""
        return await a4_refusal(self._sessions, caller.name, caller.device_site or "")

    async def print_pdf(
        self, caller: Principal, pdf: bytes, *, title: str, purpose: PrintPurpose, key: str | None
    ) -> str:
        """Store ``pdf`` and print it on the caller; the job's id."""
        sha = await store_pdf(self._blobs, pdf)
        req = JobCreate(
            kind=JobKind.PRINT_DOCUMENT,
            target=DeviceTarget(device_id=caller.name),
            params={"document": sha, "title": title[:100]},
            idempotency_key=key,
            purpose=purpose,
        )
        job, _ = await self._jobs.create(req, caller)
        return job.id
