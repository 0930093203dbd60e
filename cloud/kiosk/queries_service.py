"""Running a convenience query for a kiosk (docs/kiosk-queries.md): the declaration says what
the query takes and shows; a person query needs the identity token its one-time code granted
at this kiosk, for this card; the department's call is bounded; the result is masked per field
before it leaves the cloud; every run leaves one usage row (query, site, kiosk, outcome,
duration — never who, never what). Logs name the query and the outcome only."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.db.models import utcnow
from cloud.kiosk.departments.base import (
    DepartmentBadAnswer,
    DepartmentTimeout,
    Person,
    QueryDecl,
    QueryResult,
)
from cloud.kiosk.errors import KioskError
from cloud.kiosk.otp import OtpService
from cloud.kiosk.queries_inputs import checked_inputs
from cloud.kiosk.queries_masking import mask_rows
from cloud.kiosk.queries_registry import QueryRegistry
from cloud.kiosk.queries_tables import KioskQueryUsage

log = logging.getLogger(__name__)
PAGE_SIZE = 10
#: a department error's code → the usage row's outcome
OUTCOMES = {
    "department_refused": "refused",
    "department_timeout": "timeout",
    "department_maintenance": "maintenance",
    "department_unavailable": "unavailable",
    "department_not_configured": "not_configured",
    "identity_required": "identity",
    "query_input_invalid": "bad_input",
}


@dataclass(frozen=True, slots=True)
class Asked:
    code: str
    inputs: dict[str, str] = field(default_factory=dict)
    page: int = 1
    identity_token: str = ""
    #: the card read at the kiosk (person queries; checked against the token)
    id_number: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    decl: QueryDecl
    rows: list[dict[str, str]]
    total: int
    page: int
    pages: int
    as_of: datetime
    notes: list[str]


class QueryService:
    def __init__(
        self,
        registry: QueryRegistry,
        otp: OtpService,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.registry = registry
        self.otp = otp
        self._sessions = sessions
        self.clock = clock

    async def run(self, caller: Principal, asked: Asked, outcome_ok: str = "ok") -> Answer:
        """The masked answer; a :class:`KioskError` (with the citizen's sentence) otherwise."""
        decl = self.registry.decl(asked.code)
        started, outcome = time.monotonic(), "failed"
        try:
            answer = await self._run(caller, decl, asked)
            outcome = outcome_ok
            return answer
        except KioskError as err:
            outcome = OUTCOMES.get(str(getattr(err, "code", "")), "failed")
            raise
        finally:
            ms = int((time.monotonic() - started) * 1000)
            log.info("kiosk query %s at %s: %s in %d ms", decl.code, caller.name, outcome, ms)
            await self._usage(caller, decl, outcome, ms)

    async def _run(self, caller: Principal, decl: QueryDecl, asked: Asked) -> Answer:
        inputs = checked_inputs(decl, asked.inputs)
        person = None
        if decl.identity == "person":
            await self.otp.check_token(
                caller.name, asked.identity_token, asked.id_number, asked.name
            )
            person = Person(asked.id_number.upper(), asked.name.strip())
        dept, timeout_s = self.registry.department(decl)
        bound = timeout_s + 1.0  # the adapter bounds its own calls; this bounds the adapter
        try:
            async with asyncio.timeout(bound):
                result = await dept.query(decl.operation, person, inputs, asked.page, PAGE_SIZE)
        except TimeoutError:
            raise DepartmentTimeout(
                decl.department,
                f"no answer within {bound:g} s",
                "部门系统响应超时，请稍后再试。",
                "The department did not answer in time. Please try again later.",
            ) from None
        return self._answer(decl, result)

    def _answer(self, decl: QueryDecl, result: QueryResult) -> Answer:
        if not isinstance(result.rows, list) or not all(isinstance(r, dict) for r in result.rows):
            raise DepartmentBadAnswer(
                decl.department,
                "rows are not a list of records",
                "部门系统返回的数据有误，请稍后再试或到窗口办理。",
                "The department's answer cannot be read. Please try later or ask at a window.",
            )
        return Answer(
            decl=decl,
            rows=mask_rows(result.rows, decl.fields),
            total=result.total,
            page=result.page,
            pages=max(1, result.pages),
            as_of=result.as_of or self.clock(),
            notes=list(result.notes),
        )

    async def _usage(self, caller: Principal, decl: QueryDecl, outcome: str, ms: int) -> None:
        row = KioskQueryUsage(
            at=self.clock(),
            query=decl.code,
            department=decl.department,
            site=caller.device_site or "",
            device_id=caller.name,
            outcome=outcome,
            duration_ms=ms,
        )
        try:
            async with self._sessions() as s:
                s.add(row)
                await s.commit()
        except Exception:  # the count is for the report; the citizen's answer goes on
            log.exception("kiosk query usage row not written (%s)", decl.code)
