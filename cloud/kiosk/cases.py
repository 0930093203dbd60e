"""Case progress (办件查询) at the kiosk: a citizen's cases by ID number (read from the card or
typed, checked with the GB 11643 check digit before the platform is asked) or one case by its
number, from the city 政务服务平台; and the timeline printed on the kiosk's receipt printer.

Nothing personal is logged: only case numbers and outcomes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.db.models import Site, utcnow
from cloud.errors import Conflict
from cloud.jobs import JobService
from cloud.kiosk.cases_receipt import case_receipt
from cloud.kiosk.city_platform import CasePage, CityPlatform
from cloud.kiosk.city_platform_errors import CityPlatformNotConfigured, IdNumberInvalid
from cloud.kiosk.errors import KioskError
from cloud.schemas import DeviceTarget, JobCreate
from cloud.settings import Settings
from protocols.idcard.text import id_number_problem
from protocols.jobs import JobKind

log = logging.getLogger(__name__)
PAGE_SIZE = 10


class NoReceiptPrinter(KioskError):
    status_code = 409
    code = "no_receipt_printer"

    def __init__(self, why: str) -> None:
        super().__init__(
            f"this kiosk cannot print the case: {why}",
            "本终端的打印机暂时不能使用，请记下办件编号，或到窗口打印。",
            "This kiosk's printer is not available. Please note the case number or ask at a "
            "window.",
        )


class LookupNeedsOne(KioskError):
    code = "lookup_needs_one"

    def __init__(self) -> None:
        super().__init__(
            "give exactly one of id_number and case_no",
            "请读取身份证、输入身份证号码或输入办件编号（三选一）。",
            "Read your ID card, type your ID number, or type a case number (one of them).",
        )


def check_id_number(value: str) -> str:
    """The ID number upper-cased, or :class:`IdNumberInvalid` saying what is wrong with it."""
    value = value.strip().upper()
    why = id_number_problem(value)
    if why is not None:
        tech = (
            "an ID number is 17 digits and a check character (0-9 or X)"
            if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X"
            else "the ID number fails the GB 11643 check digit (or its birth date is not a date)"
        )
        raise IdNumberInvalid(tech, *why)
    return value


class CaseService:
    def __init__(
        self,
        platform: CityPlatform | None,
        jobs: JobService,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.platform = platform
        self._jobs = jobs
        self._sessions = sessions
        self._clock = clock

    @classmethod
    def of(
        cls, settings: Settings, jobs: JobService, sessions: async_sessionmaker[AsyncSession]
    ) -> CaseService:
        platform = None
        if settings.city_platform_url:
            platform = CityPlatform(
                settings.city_platform_url,
                settings.city_platform_app_id,
                settings.city_platform_secret.get_secret_value(),
                settings.city_platform_timeout_s,
            )
        return cls(platform, jobs, sessions)

    def _platform(self) -> CityPlatform:
        if self.platform is None:
            raise CityPlatformNotConfigured()
        return self.platform

    async def lookup(self, id_number: str | None, case_no: str | None, page: int) -> CasePage:
        """A person's cases (paged), or the one case numbered ``case_no``."""
        if (id_number is None) == (case_no is None):
            raise LookupNeedsOne()
        if id_number is not None:
            person = check_id_number(id_number)
            got = await self._platform().cases_of(person, page, PAGE_SIZE)
            log.info("case lookup by ID number: %d case(s), page %d", got.total, page)
            return got
        assert case_no is not None
        case = await self._platform().case(case_no.upper())
        log.info("case lookup by number %s: %s", case.case_no, case.status)
        return CasePage([case], 1, 1, 1)

    async def print_case(self, caller: Principal, case_no: str, request_id: str) -> str:
        """Print the case's timeline on the calling kiosk; the ``print_receipt`` job's id."""
        case = await self._platform().case(case_no.upper())
        async with self._sessions() as s:
            site = await s.scalar(select(Site).where(Site.path == (caller.device_site or "")))
        site_name = site.name if site is not None else ""
        key = f"kiosk-case:{caller.name}:{request_id}" if request_id else None
        req = JobCreate(
            kind=JobKind.PRINT_RECEIPT,
            target=DeviceTarget(device_id=caller.name),
            params=case_receipt(case, site_name, self._clock()).model_dump(
                mode="json", exclude_none=True
            ),
            idempotency_key=key,
            purpose="receipt",
        )
        try:
            job, _ = await self._jobs.create(req, caller)
        except Conflict as err:
            raise NoReceiptPrinter(str(err)) from err
        log.info("case %s printed on %s (job %s)", case.case_no, caller.name, job.id)
        return job.id

    async def close(self) -> None:
        if self.platform is not None:
            await self.platform.close()
