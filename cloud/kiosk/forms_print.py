"""A kiosk prints a filled e-form on A4 (``POST /api/v1/kiosk/forms/{code}/print``): the data is
checked with the form's one validation, drawn with the form's layout (:func:`form_pdf`),
stored as a blob and sent as a ``print_document`` job (purpose ``form``) to **the calling
kiosk**. Idempotent per kiosk request id (``kiosk-form:<device>:<id>``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.blobs import BlobStore
from cloud.db.models import utcnow
from cloud.jobs import JobService
from cloud.kiosk.forms_errors import FormDataInvalid, NoA4Printer
from cloud.kiosk.forms_pdf import FormExtras, form_pdf
from cloud.kiosk.print_on_caller import CallerPrinter
from protocols.eform import FormDef
from protocols.eform_check import form_problems

log = logging.getLogger(__name__)


class FormPrint:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        jobs: JobService,
        blobs: BlobStore,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._printer = CallerPrinter(sessions, jobs, blobs)
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
        device = caller.name
        key = f"kiosk-form:{device}:{request_id}" if request_id else None
        if (existing := await self._printer.job_for_key(key)) is not None:
            return existing
        if problems := form_problems(form, data):
            raise FormDataInvalid(form.code, problems)
        why, site_name = await self._printer.refusal(caller)
        if why:
            raise NoA4Printer(why)
        extras = FormExtras(site_name, self._clock().astimezone(), reference)
        pdf = await asyncio.to_thread(form_pdf, form, data, extras)
        job_id = await self._printer.print_pdf(
            caller, pdf, title=form.title, purpose="form", key=key
        )
        log.info("form %s v%d printed on %s (job %s)", form.code, form.version, device, job_id)
        return job_id
