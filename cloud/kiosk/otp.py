"""One-time codes to the phone on file, and the identity tokens they grant (docs/kiosk-queries.md).

A person query needs two things at one kiosk: the ID card (read there) and the phone on file
(a 6-digit code texted to it). Rules:

- a code lives 5 minutes, takes 5 tries, is good once, and only at the kiosk that asked;
- one active code per person: asking again supersedes the earlier one;
- per phone at most one code a minute and five an hour (the text costs, and floods annoy);
- a right code grants an identity token for 10 minutes, bound to that kiosk and that card
  (its holder must present the same ID number and name with every query).

At rest there is no code, token, phone, ID number or name: only HMACs under the cloud's
secret key (``cloud.kiosk.queries_tables``). Counting a wrong try and using a right code are
single conditional UPDATEs, so two kiosks racing on one code cannot both win.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import utcnow
from cloud.kiosk.identity_platform import IdentityPlatform
from cloud.kiosk.otp_errors import (
    IdentityRequired,
    OtpExpired,
    OtpLocked,
    OtpNotSent,
    OtpRateLimited,
    OtpSuperseded,
    OtpUnknown,
    OtpUsed,
    OtpWrong,
)
from cloud.kiosk.queries_tables import KioskOtp
from cloud.kiosk.sms import CitizenSms, SmsNotSent, masked_phone

CODE_TTL = timedelta(minutes=5)
MAX_TRIES = 5
TOKEN_TTL = timedelta(minutes=10)
PHONE_INTERVAL = timedelta(seconds=60)
PHONE_PER_HOUR = 5


@dataclass(frozen=True, slots=True)
class SentCode:
    otp_id: str
    phone_masked: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Grant:
    identity_token: str
    expires_at: datetime


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class OtpService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sms: CitizenSms,
        identity: IdentityPlatform,
        secret: str,
        clock: Callable[[], datetime] = utcnow,
        codes: Callable[[], str] = new_code,
    ) -> None:
        self._sessions = sessions
        self._sms = sms
        self.identity = identity
        self._key = hashlib.sha256(b"kfleet-kiosk-otp\0" + secret.encode()).digest()
        self.clock = clock
        self._codes = codes

    def _h(self, *parts: str) -> str:
        return hmac.new(self._key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()

    def person_hash(self, id_number: str, name: str) -> str:
        return self._h("person", id_number.upper(), name.strip())

    async def send(self, device_id: str, id_number: str, name: str) -> SentCode:
        """Text a new code to the phone on file (identity platform) for this card."""
        phone = await self.identity.phone_of(id_number.upper(), name.strip())
        now, code, otp_id = self.clock(), self._codes(), secrets.token_hex(16)
        person, phone_hash = self.person_hash(id_number, name), self._h("phone", phone)
        async with self._sessions() as s:
            await self._check_rate(s, phone_hash, now)
            await s.execute(
                update(KioskOtp)
                .where(KioskOtp.person_hash == person, KioskOtp.state == "active")
                .values(state="superseded")
            )
            s.add(
                KioskOtp(
                    id=otp_id,
                    person_hash=person,
                    phone_hash=phone_hash,
                    device_id=device_id,
                    code_hash=self._h("code", otp_id, code),
                    state="active",
                    tries=0,
                    created_at=now,
                    expires_at=now + CODE_TTL,
                )
            )
            await s.commit()
        minutes = str(int(CODE_TTL.total_seconds() // 60))
        try:
            await self._sms.send(phone, "KF_OTP", {"code": code, "minutes": minutes}, otp_id)
        except SmsNotSent as err:
            await self._set_state(otp_id, "unsent")
            raise OtpNotSent(f"the code could not be texted: {err}") from err
        return SentCode(otp_id, masked_phone(phone), now + CODE_TTL)

    async def _check_rate(self, s: AsyncSession, phone_hash: str, now: datetime) -> None:
        recent = KioskOtp.phone_hash == phone_hash, KioskOtp.created_at > now - timedelta(hours=1)
        count, last = (
            await s.execute(select(func.count(), func.max(KioskOtp.created_at)).where(*recent))
        ).one()
        if last is not None and now - last < PHONE_INTERVAL:
            raise OtpRateLimited(int((PHONE_INTERVAL - (now - last)).total_seconds()) + 1)
        if count >= PHONE_PER_HOUR:
            first = await s.scalar(select(func.min(KioskOtp.created_at)).where(*recent))
            assert first is not None
            raise OtpRateLimited(int((first + timedelta(hours=1) - now).total_seconds()) + 1)

    async def _set_state(self, otp_id: str, state: str) -> None:
        async with self._sessions() as s:
            await s.execute(update(KioskOtp).where(KioskOtp.id == otp_id).values(state=state))
            await s.commit()

    async def verify(self, device_id: str, otp_id: str, code: str) -> Grant:
        """The identity token for a right code; the error says what to do otherwise."""
        now = self.clock()
        async with self._sessions() as s:
            row = await s.get(KioskOtp, otp_id)
            if row is None or row.device_id != device_id:
                raise OtpUnknown("no such code request at this kiosk")
            _check_usable(row, now)
            if not hmac.compare_digest(row.code_hash, self._h("code", otp_id, code)):
                await self._wrong(s, row)
            token = secrets.token_urlsafe(32)
            used = await s.execute(
                update(KioskOtp)
                .where(KioskOtp.id == otp_id, KioskOtp.state == "active")
                .values(
                    state="verified",
                    token_hash=self._h("token", token),
                    token_expires_at=now + TOKEN_TTL,
                )
            )
            if used.rowcount != 1:  # type: ignore[attr-defined]
                raise OtpUsed()
            await s.commit()
        return Grant(token, now + TOKEN_TTL)

    async def _wrong(self, s: AsyncSession, row: KioskOtp) -> None:
        counted = await s.execute(
            update(KioskOtp)
            .where(KioskOtp.id == row.id, KioskOtp.state == "active", KioskOtp.tries < MAX_TRIES)
            .values(tries=KioskOtp.tries + 1)
            .returning(KioskOtp.tries)
        )
        tries = counted.scalar_one_or_none()
        if tries is None:
            await s.rollback()
            raise OtpLocked()
        if tries >= MAX_TRIES:
            await s.execute(update(KioskOtp).where(KioskOtp.id == row.id).values(state="locked"))
            await s.commit()
            raise OtpLocked()
        await s.commit()
        raise OtpWrong(MAX_TRIES - tries)

    async def check_token(self, device_id: str, token: str, id_number: str, name: str) -> None:
        """Refuse (:class:`IdentityRequired`) unless ``token`` was granted at this kiosk, for
        this card, and still holds."""
        if not token:
            raise IdentityRequired("this query is about a person: an identity token is needed")
        async with self._sessions() as s:
            row = await s.scalar(
                select(KioskOtp).where(KioskOtp.token_hash == self._h("token", token))
            )
        if row is None or row.device_id != device_id:
            raise IdentityRequired("unknown identity token, or one granted at another kiosk")
        if row.token_expires_at is None or self.clock() >= row.token_expires_at:
            raise IdentityRequired("the identity token has expired")
        if not hmac.compare_digest(row.person_hash, self.person_hash(id_number, name)):
            raise IdentityRequired("the identity token was granted for another card")


def _check_usable(row: KioskOtp, now: datetime) -> None:
    if row.state == "verified":
        raise OtpUsed()
    if row.state == "locked":
        raise OtpLocked()
    if row.state == "superseded":
        raise OtpSuperseded()
    if row.state == "unsent":  # the text never went: nobody can know this code
        raise OtpUnknown("this code was never sent")
    if now >= row.expires_at:
        raise OtpExpired()
