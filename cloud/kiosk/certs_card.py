"""社会保障卡挂失/解挂 at a kiosk (docs/kiosk-certificates.md): the citizen's identity is
checked (ID card + one-time code), the 人社 department reports the card lost (临时挂失) or lifts
the loss, and the kiosk prints a receipt (purpose ``receipt``).

A transaction, idempotent per kiosk request id: the first call records it ``pending`` with a
serial of ours, which the department receives as its business serial (``ywlsh``): a retry —
after a timeout, a lost answer, a double tap — sends the same serial, which the department
answers without changing the card again; once ``done`` the same request id answers the
recorded outcome and prints no second receipt. Logs name the action and outcome, never who.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.errors import CloudError
from cloud.jobs import JobService
from cloud.kiosk.certs_common import CertNotPrinted, Departments, RequestReused, Who
from cloud.kiosk.certs_tables import KioskCardChange
from cloud.kiosk.queries_masking import mask_value
from cloud.schemas import DeviceTarget, JobCreate
from protocols.jobs import FeedLine, JobKind, ReceiptLine, ReceiptParams, TextLine

log = logging.getLogger(__name__)
Action = Literal["loss", "unloss"]
_OPERATION = {"loss": "card_loss", "unloss": "card_unloss"}
_TITLE = {
    "loss": ("社会保障卡挂失回执", "Card loss report"),
    "unloss": ("社会保障卡解挂回执", "Card loss lifted"),
}
STATE_WORDS = {"lost": ("临时挂失", "Reported lost"), "normal": ("正常", "In use")}


@dataclass(frozen=True, slots=True)
class CardStatus:
    card_masked: str
    bank: str
    state: str  # lost | normal


@dataclass(frozen=True, slots=True)
class CardChanged:
    serial: str
    action: str
    card_masked: str
    state: str
    at: str
    job_id: str
    printed: bool


class SocialCardService:
    def __init__(
        self,
        departments: Departments,
        sessions: async_sessionmaker[AsyncSession],
        jobs: JobService,
        secret: str,
    ) -> None:
        self.departments = departments
        self._sessions = sessions
        self._jobs = jobs
        self._key = hashlib.sha256(b"kfleet-card-holder\0" + secret.encode()).digest()

    def _holder(self, who: Who) -> str:
        text = f"{who.id_number.upper()}\x1f{who.name.strip()}".encode()
        return hmac.new(self._key, text, hashlib.sha256).hexdigest()

    async def status(self, caller: Principal, who: Who) -> CardStatus:
        person = await self.departments.person(caller, who)
        got = await self.departments.record("hrss", "card_status", person)
        return CardStatus(mask_value(got["card_no"], "account"), got["bank"], got["state"])

    async def change(
        self, caller: Principal, who: Who, action: Action, request_id: str
    ) -> CardChanged:
        person = await self.departments.person(caller, who)
        row = await self._row(caller.name, request_id, action, self._holder(who))
        if row.state == "done":
            return _changed(row, printed=False)
        answer = await self.departments.record(
            "hrss", _OPERATION[action], person, {"serial": row.id}
        )
        card = mask_value(answer["card_no"], "account")
        async with self._sessions() as s:
            await s.execute(
                update(KioskCardChange)
                .where(KioskCardChange.id == row.id)
                .values(
                    state="done",
                    card_masked=card,
                    card_state=answer["state"],
                    done_at_text=answer["at"][:32],
                )
            )
            await s.commit()
            row = await s.get(KioskCardChange, row.id) or row
        log.info("social card %s done at %s", action, caller.name)
        job_id = await self._receipt(caller, row)
        return _changed(row, printed=True, job_id=job_id)

    async def _row(self, device: str, request_id: str, action: str, holder: str) -> KioskCardChange:
        """The change this request id names, made ``pending`` the first time."""
        async with self._sessions() as s:
            row = await s.scalar(
                select(KioskCardChange).where(
                    KioskCardChange.device_id == device, KioskCardChange.request_id == request_id
                )
            )
            if row is None:
                row = KioskCardChange(
                    id=secrets.token_hex(16),
                    device_id=device,
                    request_id=request_id,
                    action=action,
                    person_hash=holder,
                    state="pending",
                )
                s.add(row)
                try:
                    await s.commit()
                except IntegrityError:  # the same request raced in: use its row
                    await s.rollback()
                    return await self._row(device, request_id, action, holder)
        if row.action != action or not hmac.compare_digest(row.person_hash, holder):
            raise RequestReused()
        return row

    async def _receipt(self, caller: Principal, row: KioskCardChange) -> str:
        title, title_en = _TITLE[row.action]
        state, state_en = STATE_WORDS.get(row.card_state, (row.card_state, row.card_state))
        lines: list[ReceiptLine] = [
            TextLine(text=title, align="center", bold=True, width=2, height=2),
            TextLine(text=title_en, align="center"),
            FeedLine(),
            TextLine(text=f"社会保障卡号 Card: {row.card_masked}"),
            TextLine(text=f"卡状态 State: {state} {state_en}"),
            TextLine(text=f"办理时间 At: {row.done_at_text}"),
            TextLine(text=f"业务流水号 Serial: {row.id}"),
            FeedLine(),
        ]
        if row.action == "loss":
            lines += [
                TextLine(text="临时挂失有效期内请到社保卡服务网点办理正式挂失及补卡。"),
                TextLine(text="Visit a card service point to replace the card."),
            ]
        req = JobCreate(
            kind=JobKind.PRINT_RECEIPT,
            target=DeviceTarget(device_id=caller.name),
            params=ReceiptParams(lines=lines).model_dump(mode="json", exclude_none=True),
            idempotency_key=f"kiosk-card:{row.id}",
            purpose="receipt",
        )
        try:
            job, _ = await self._jobs.create(req, caller)
        except CloudError as err:
            raise CertNotPrinted(
                f"the receipt job was refused: {err}",
                "业务已办理成功，但本机暂时无法打印回执，请记下流水号：" + row.id,
                "Done, but this kiosk cannot print the receipt now. Note the serial: " + row.id,
            ) from err
        async with self._sessions() as s:
            await s.execute(
                update(KioskCardChange).where(KioskCardChange.id == row.id).values(job_id=job.id)
            )
            await s.commit()
        return job.id


def _changed(row: KioskCardChange, printed: bool, job_id: str = "") -> CardChanged:
    return CardChanged(
        serial=row.id,
        action=row.action,
        card_masked=row.card_masked,
        state=row.card_state,
        at=row.done_at_text,
        job_id=job_id or row.job_id,
        printed=printed,
    )
