"""A kiosk prints a filled e-form on A4 (``POST /api/v1/kiosk/forms/{code}/print``): the data is
checked with the form's one validation, drawn with the form's layout (:func:`form_pdf`),
stored as a blob and sent as a ``print_document`` job (purpose ``form``) to **the calling
kiosk**. Idempotent per kiosk request id (``kiosk-form:<device>:<id>``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.blobs import BlobStore
from cloud.db import devices as device_repo
from cloud.db import jobs as job_repo
from cloud.db.models import Device, Site, utcnow
from cloud.jobs import JobService
from cloud.kiosk.forms_errors import FormDataInvalid, NoA4Printer
from cloud.kiosk.forms_pdf import FormExtras, form_pdf
from cloud.schemas import DeviceTarget, JobCreate
from fleet.routing import device_target_refusal
from protocols.eform import FormDef
from protocols.eform_check import form_problems
from protocols.jobs import CAPABILITY_FOR_KIND, JobKind

log = logging.getLogger(__name__)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


class FormPrint:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        jobs: JobService,
        blobs: BlobStore,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._jobs = jobs
        self._blobs = blobs
        self._clock = clock

    async def print(
        self,
        caller: Principal,
        form: FormDef,
        data: Mapping[str, Any],
        request_id: str = "",
        reference: str = "",
    ) -> str:
        """The id of the ``print_document`` job printing ``form`` filled with ``data`` on the
        calling kiosk (422 ``form_data_invalid`` when the data fails the form's checks)."""
        device, site = caller.name, caller.device_site or ""
        key = f"kiosk-form:{device}:{request_id}" if request_id else None
        if key is not None:  # a retry after a lost answer: the paper is already on its way
            async with self._sessions() as s:
                existing = await job_repo.by_idempotency_key(s, key)
            if existing is not None:
                return existing.id
        if problems := form_problems(form, data):
            raise FormDataInvalid(form.code, problems)
        site_name = await self._check_kiosk(device, site)
        extras = FormExtras(site_name, self._clock().astimezone(), reference)
        pdf = await asyncio.to_thread(form_pdf, form, data, extras)
        sha = hashlib.sha256(pdf).hexdigest()
        await self._blobs.put(sha, _once(pdf))
        req = JobCreate(
            kind=JobKind.PRINT_DOCUMENT,
            target=DeviceTarget(device_id=device),
            params={"document": sha, "title": f"{form.title}"[:100]},
            idempotency_key=key,
            purpose="form",
        )
        job, _ = await self._jobs.create(req, caller)
        log.info("form %s v%d printed on %s (job %s)", form.code, form.version, device, job.id)
        return job.id

    async def _check_kiosk(self, device_id: str, site: str) -> str:
        """The site's name, once the kiosk is known to have an A4 printer."""
        async with self._sessions() as s:
            device = await s.get(Device, device_id)
            name = await s.scalar(select(Site.name).where(Site.path == site))
        if device is None:
            raise NoA4Printer(f"device {device_id} is not registered")
        kind = JobKind.PRINT_DOCUMENT
        why = device_target_refusal(
            device_id, device_repo.peripherals(device), CAPABILITY_FOR_KIND[kind], kind.value
        )
        if why:
            raise NoA4Printer(why)
        return name or site
