"""手机扫码填表: a kiosk hands a form over to the citizen's phone and takes it back.

The kiosk asks for a link (``create``): a random token only the QR code carries (stored as its
hash), valid for ``forms_handoff_ttl_s``. The phone page opens it, shows the form without
anything personal (the ID card's fields are filled back at the kiosk, from the card), checks
the data with the same :func:`protocols.eform_check.form_problems` and sends it once: the link
is then spent. The kiosk polls the hand-off (``poll``): ``waiting`` until the phone sends,
``filled`` with the data exactly once (then the row forgets it), ``expired`` after the TTL.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import utcnow
from cloud.kiosk.forms_errors import FormDataInvalid, HandoffGone, HandoffNotFound
from cloud.kiosk.forms_tables import FormHandoffRow
from protocols.eform import FormDef
from protocols.eform_check import FormProblem, form_problems

log = logging.getLogger(__name__)

HandoffState = Literal["waiting", "filled", "expired"]
#: how long a spent or expired hand-off row is kept (without data) before it is deleted
KEEP_SPENT = timedelta(days=1)


@dataclass(frozen=True)
class Handoff:
    id: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Polled:
    state: HandoffState
    expires_at: datetime
    #: the phone's data, only in the one answer that hands it over
    data: dict[str, Any] | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def phone_problems(form: FormDef, data: Mapping[str, Any]) -> list[FormProblem]:
    """``form_problems`` without the ID card's fields: the phone never holds them (the kiosk
    fills them from the card, then checks the whole form again)."""
    card = {f.key for f in form.fields() if f.from_card}
    bad = [k for k in data if k in card]
    extra = [
        FormProblem(k, "该项由自助终端读取身份证填写。", "The kiosk fills this from the ID card.")
        for k in bad
    ]
    return extra + [p for p in form_problems(form, data) if p.field not in card]


class HandoffService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        ttl_s: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.ttl = timedelta(seconds=ttl_s)
        self.clock = clock

    async def create(self, device_id: str, form: FormDef) -> Handoff:
        token = secrets.token_urlsafe(24)
        row = FormHandoffRow(
            id=secrets.token_hex(16),
            token_hash=_hash(token),
            code=form.code,
            version=form.version,
            device_id=device_id,
            state="waiting",
            created_at=self.clock(),
            expires_at=self.clock() + self.ttl,
        )
        async with self._sessions() as s, s.begin():
            now = self.clock()
            await s.execute(
                delete(FormHandoffRow).where(FormHandoffRow.expires_at < now - KEEP_SPENT)
            )
            # what a phone sent and no kiosk took goes with the link's time
            await s.execute(
                update(FormHandoffRow)
                .where(FormHandoffRow.expires_at < now, FormHandoffRow.data.is_not(None))
                .values(data=None)
            )
            s.add(row)
        log.info("form %s handed off from %s (hand-off %s)", form.code, device_id, row.id)
        return Handoff(row.id, token, row.expires_at)

    async def opened(self, token: str) -> tuple[str, int, datetime]:
        """The form code and version a phone link fills, and until when (410 when spent)."""
        async with self._sessions() as s:
            row = await _by_token(s, token)
        self._usable(row)
        return row.code, row.version, row.expires_at

    async def fill(self, token: str, form: FormDef, data: Mapping[str, Any]) -> None:
        """The phone's data, checked, kept for the kiosk; the link is spent (410 after)."""
        if problems := phone_problems(form, data):
            raise FormDataInvalid(form.code, problems)
        async with self._sessions() as s, s.begin():
            row = await _by_token(s, token)
            self._usable(row)
            done = await s.execute(
                update(FormHandoffRow)
                .where(FormHandoffRow.id == row.id, FormHandoffRow.state == "waiting")
                .values(state="filled", data=dict(data))
            )
        if done.rowcount != 1:  # type: ignore[attr-defined]  # another phone won the race
            raise HandoffGone("was used already")
        log.info("form %s filled on a phone (hand-off %s)", row.code, row.id)

    async def poll(self, device_id: str, handoff_id: str) -> Polled:
        """The hand-off's state for the kiosk that made it; ``filled`` carries the data once."""
        async with self._sessions() as s, s.begin():
            row = await s.get(FormHandoffRow, handoff_id)
            if row is None or row.device_id != device_id:
                raise HandoffNotFound()
            if row.state == "filled" and row.data is not None:
                data, row.data, row.state = row.data, None, "taken"
                return Polled("filled", row.expires_at, data)
            if row.state == "taken" or row.expires_at <= self.clock():
                row.data = None
                return Polled("expired", row.expires_at)
            return Polled("waiting", row.expires_at)

    def _usable(self, row: FormHandoffRow) -> None:
        if row.state != "waiting":
            raise HandoffGone("was used already")
        if row.expires_at <= self.clock():
            raise HandoffGone("expired")


async def _by_token(s: AsyncSession, token: str) -> FormHandoffRow:
    row = await s.scalar(select(FormHandoffRow).where(FormHandoffRow.token_hash == _hash(token)))
    if row is None:
        raise HandoffNotFound()
    return row
