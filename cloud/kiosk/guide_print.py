"""A kiosk prints an item's guide for a citizen: the A4 PDF for the citizen's answers is made
here, stored as a blob and sent as a ``print_document`` job to **the calling kiosk** (its A4
printer), so the paper comes out where the citizen stands.

The answers are checked against the item first (a question or option it does not have is a
clear 422, nothing printed); the QR on the paper opens the public page with the same answers.
Idempotent per kiosk request id (the job's idempotency key is ``kiosk-guide:<device>:<id>``:
the same id again answers the job already made, whatever the answers).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.blobs import BlobStore
from cloud.db.models import utcnow
from cloud.jobs import JobService
from cloud.kiosk.errors import KioskError
from cloud.kiosk.guide_current import HasCatalogue, department_name, published_item
from cloud.kiosk.guide_page import page_path
from cloud.kiosk.guide_pdf import GuideExtras, guide_pdf
from cloud.kiosk.print_on_caller import CallerPrinter
from protocols.guide import Item

log = logging.getLogger(__name__)


class GuideAnswersInvalid(KioskError):
    code = "guide_answers_invalid"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "所选的办理情形已变化，请重新选择后再打印。",
            "The situation choices have changed: please choose again, then print.",
        )


class NoA4Printer(KioskError):
    status_code = 409
    code = "no_a4_printer"

    def __init__(self, why: str) -> None:
        super().__init__(
            f"this kiosk cannot print guides: {why}",
            "本机暂不能打印，请扫描二维码在手机上查看。",
            "This kiosk cannot print right now: scan the QR code to read it on your phone.",
        )


def check_answers(item: Item, answers: Mapping[str, str]) -> None:
    """Every answer names a question of ``item`` and one of its options."""
    questions = {q.code: {o.code for o in q.options} for q in item.questions}
    for q, o in answers.items():
        if q not in questions:
            known = ", ".join(questions) or "none"
            raise GuideAnswersInvalid(
                f"item {item.code} has no question {q!r} (its questions: {known})"
            )
        if o not in questions[q]:
            raise GuideAnswersInvalid(
                f"question {q!r} of item {item.code} has no option {o!r} "
                f"(its options: {', '.join(sorted(questions[q]))})"
            )


class GuidePrint:
    def __init__(
        self,
        kiosk: HasCatalogue,
        sessions: async_sessionmaker[AsyncSession],
        jobs: JobService,
        blobs: BlobStore,
        public_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        #: the kiosk parts: ``kiosk.catalogue`` is read at each print (built after this)
        self._kiosk = kiosk
        self._printer = CallerPrinter(sessions, jobs, blobs)
        self.public_url = public_url.rstrip("/")
        self._clock = clock

    def qr_url(self, code: str, answers: Mapping[str, str]) -> str:
        return self.public_url + page_path(code, answers)

    async def print(
        self, caller: Principal, code: str, answers: Mapping[str, str], request_id: str = ""
    ) -> str:
        """The id of the ``print_document`` job printing ``code``'s guide on the caller."""
        catalogue, item = await published_item(self._kiosk, code)
        check_answers(item, answers)
        device, site = caller.name, caller.device_site or ""
        key = f"kiosk-guide:{device}:{request_id}" if request_id else None
        if (existing := await self._printer.job_for_key(key)) is not None:
            return existing
        why, site_name = await self._printer.refusal(caller)
        if why:
            raise NoA4Printer(why)
        extras = GuideExtras(
            department=department_name(catalogue, item.department),
            site=site,
            sample=catalogue.sample,
            printed_at=self._clock().astimezone(),
        )
        pdf = await asyncio.to_thread(
            guide_pdf, item, answers, site_name, self.qr_url(code, answers), extras
        )
        job_id = await self._printer.print_pdf(
            caller, pdf, title=f"办事指南 {item.code}", purpose="guide", key=key
        )
        log.info("guide %s printed on %s (job %s)", item.code, device, job_id)
        return job_id
