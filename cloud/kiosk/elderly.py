"""高龄补贴 registration for a kiosk (docs/kiosk-elderly.md): the 青海省高龄补贴登记表 as the
console publishes it (else as shipped), checked again here the one way every surface checks
it (``form_problems``), the age rule again (``protocols.elderly``: 70 on the day, Beijing),
then the 民政局's ``allowance_register`` and a receipt on the calling kiosk's printer.

The kiosk's card read fills the identity fields (the agent's ``with_card``); the cloud keeps
nothing of the form: it goes to the 民政局 and its number comes back. Logs say the outcome,
never who.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cloud.auth.principal import Principal
from cloud.errors import CloudError
from cloud.hall.ticket_token import HALL_TZ
from cloud.jobs import JobService
from cloud.kiosk.departments import civil
from cloud.kiosk.departments.base import DepartmentNotConfigured, Person
from cloud.kiosk.departments.http_common import HttpDepartment
from cloud.kiosk.elderly_form import CODE
from cloud.kiosk.errors import KioskError
from cloud.kiosk.forms_seed import current_form
from cloud.schemas import DeviceTarget, JobCreate
from cloud.settings import Settings
from protocols.eform import FormDef
from protocols.eform_check import form_problems
from protocols.elderly import birth_of, eligibility
from protocols.idcard.text import mask_id_number, mask_name
from protocols.jobs import FeedLine, JobKind, ReceiptLine, ReceiptParams, TextLine

log = logging.getLogger(__name__)


class ElderlyNotEligible(KioskError):
    status_code = 422
    code = "elderly_not_eligible"


class ElderlyFormInvalid(KioskError):
    status_code = 422
    code = "form_invalid"


class ElderlyFormMissing(KioskError):
    status_code = 503
    code = "form_not_available"


@dataclass(frozen=True)
class Registered:
    application_no: str
    status: str
    accepted_at: str
    tier: str
    #: the receipt's print job ("" when this kiosk could not print it)
    job_id: str


def beijing_today() -> date:
    return datetime.now(HALL_TZ).date()


class ElderlyService:
    def __init__(
        self,
        kiosk: Any,
        settings: Settings,
        jobs: JobService,
        today: Callable[[], date] = beijing_today,
    ) -> None:
        self._kiosk = kiosk
        self._jobs = jobs
        self.today = today
        endpoint = settings.kiosk_departments.get("civil")
        self.civil: HttpDepartment | None = civil.build(endpoint) if endpoint else None

    async def close(self) -> None:
        if self.civil is not None:
            await self.civil.close()

    async def form(self) -> FormDef:
        form = await current_form(self._kiosk, CODE)
        if form is None:
            raise ElderlyFormMissing(
                f"no form {CODE}",
                "登记表暂时无法使用，请到民政窗口办理。",
                "The form is not available now. Please ask at the civil affairs window.",
            )
        return form

    def department(self) -> HttpDepartment:
        if self.civil is None:
            raise DepartmentNotConfigured(
                "civil",
                "kiosk_departments has no civil entry",
                "高龄补贴业务暂未开通，请到民政窗口办理。",
                "The old-age allowance is not available here yet. Please ask at a window.",
            )
        return self.civil

    async def register(self, caller: Principal, data: Mapping[str, Any]) -> Registered:
        """Check the form and the age, register at the 民政局, print the receipt."""
        form = await self.form()
        problems = form_problems(form, data)
        if problems:
            first = problems[0]
            raise ElderlyFormInvalid(
                f"{len(problems)} problem(s), first at {first.field or 'the form'}",
                first.message,
                first.message_en,
            )
        id_number, name = str(data["id_number"]).upper(), str(data["name"])
        check_age(id_number, self.today())
        if str(data.get("birth", "")) != birth_of(id_number).isoformat():
            raise ElderlyFormInvalid(
                "the birth date does not match the ID number",
                "出生日期与身份证号码不一致，请重新读取身份证。",
                "The birth date does not match the ID number. Please read the ID card again.",
            )
        inputs = {k: str(v) for k, v in data.items() if isinstance(v, str)}
        inputs["channel"] = "自助终端"
        result = await self.department().query(
            "allowance_register", Person(id_number, name), inputs, 1, 1
        )
        row = result.rows[0]
        log.info("elderly allowance registered at %s", caller.name)
        done = Registered(
            application_no=row["application_no"],
            status=row["status"],
            accepted_at=row["accepted_at"],
            tier=row["tier"],
            job_id="",
        )
        job_id = await self.print_receipt(caller, registration_receipt(done, data), "application")
        return Registered(**{**done.__dict__, "job_id": job_id})

    async def print_receipt(self, caller: Principal, params: ReceiptParams, purpose: str) -> str:
        """The receipt job's id on the calling kiosk; "" (logged) when it cannot print."""
        req = JobCreate(
            kind=JobKind.PRINT_RECEIPT,
            target=DeviceTarget(device_id=caller.name),
            params=params.model_dump(mode="json", exclude_none=True),
            purpose=purpose,
        )
        try:
            job, _ = await self._jobs.create(req, caller)
        except CloudError as err:
            log.warning("elderly receipt not printed at %s: %s", caller.name, err)
            return ""
        return job.id


def check_age(id_number: str, today: date) -> None:
    """Refuse (:class:`ElderlyNotEligible`) a citizen under 70 today, with the reason."""
    try:
        found = eligibility(id_number, today)
    except ValueError:
        raise ElderlyFormInvalid(
            "invalid id number",
            "身份证号码有误，请重新读取身份证。",
            "Please read the ID card again.",
        ) from None
    if not found.eligible:
        raise ElderlyNotEligible(f"under 70 ({found.age})", found.reason, found.reason_en)


def _line(text: str, **kw: Any) -> TextLine:
    return TextLine(text=text[:500], **kw)


def registration_receipt(done: Registered, data: Mapping[str, Any]) -> ReceiptParams:
    """The 受理回执: masked as the screen is (a receipt can be left behind)."""
    card = str(data.get("bank_card", ""))
    lines: list[ReceiptLine] = [
        _line("高龄补贴登记受理回执", align="center", bold=True, width=2, height=2),
        _line("Old-age allowance: registration receipt", align="center"),
        FeedLine(),
        _line(f"受理编号 No.: {done.application_no}", bold=True),
        _line(f"申请人 Applicant: {mask_name(str(data.get('name', '')))}"),
        _line(f"身份证号 ID: {mask_id_number(str(data.get('id_number', '')))}"),
        _line(f"补贴档次 Tier: {done.tier}"),
        _line(f"开户银行 Bank: {data.get('bank', '')}"),
        _line(f"银行卡号 Card: ****{card[-4:]}"),
        _line(f"受理社区 Community: {data.get('community', '')}"),
        _line(f"受理时间 Accepted: {done.accepted_at}"),
        _line(f"状态 Status: {done.status}"),
        FeedLine(),
        _line("社区将在15个工作日内完成审核，结果以短信通知。", align="center"),
        _line("The community reviews it within 15 working days.", align="center"),
        _line("格尔木市民政局", align="center"),
    ]
    return ReceiptParams(lines=lines)
