"""好差评 at a window's rating pad: a completed ticket asks the pad, the pad's ``rating`` event
becomes a ``hall_ratings`` row, and a call that failed (the pad unplugged mid-rating) or was
never answered becomes an ``abandoned`` one.

The case number sent to the pad is a reference to the ticket (``A012#57``, or the 办件编号
and the ticket id), and the pad echoes it in its answer: the answer is recorded against the
ticket it was asked for even when the window has called the next one meanwhile (a pad answers
one request at a time; the next one waits on the device).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal, PrincipalKind
from cloud.calls import SETTLED, CallService
from cloud.db import sites as site_repo
from cloud.db.hall import HallStaff, HallWindow
from cloud.db.models import Device, PeripheralCallRow, utcnow
from cloud.errors import BusUnavailable, Conflict, NotFound, Unprocessable
from cloud.events import PeripheralEventIn
from cloud.hall import ratings_store as store
from cloud.hall.ratings_tables import HallRatingRequest
from cloud.hall.signals import TicketDone
from fleet.access import PersonRole
from fleet.ratings import REASON_LEVELS
from fleet.workdays import WorkCalendar
from protocols.hall import Reason
from protocols.messages import EventKind, RatingData

log = logging.getLogger(__name__)
_GAVE_UP = frozenset({"failed", "rejected", "expired"})


def ticket_ref(ticket_no: str, ticket_id: int, case_no: str = "") -> str:
    """The case number the pad shows and echoes: what the citizen recognises, plus the id."""
    tail = f"#{ticket_id}"
    return (case_no or ticket_no)[: 64 - len(tail)] + tail


def _caller(site: str) -> Principal:
    """Who the audit log says asked: the ratings service, scoped to the ticket's site."""
    return Principal(PrincipalKind.TOKEN, "hall-ratings", PersonRole.OPERATOR, site)


class PadRatings:
    """The ``TicketDoneSink`` and ``PeripheralEventSink`` of the pads, and the loop that turns
    failed calls into abandoned ratings."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        calls: CallService,
        calendar: WorkCalendar,
        *,
        timeout_s: float = 60.0,
        poll_s: float = 2.0,
    ) -> None:
        self._sessions = sessions
        self._calls = calls
        self._cal = calendar
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        #: set after each sweep (tests wait on it instead of sleeping)
        self.swept = asyncio.Event()

    async def on_ticket_done(self, done: TicketDone) -> None:
        req = await self._new_request(done)
        if req is None:
            return
        args = {
            "case_no": req.ref,
            "window": f"{done.window_no}号窗口",
            "staff": await self._staff_label(req.site_id, done.staff_no),
            "timeout_s": self.timeout_s,
        }
        try:
            call = await self._calls.create(
                req.device_id, req.peripheral, "request_rating", args, _caller(done.site)
            )
        except (Conflict, NotFound, Unprocessable, BusUnavailable) as err:
            log.warning("no rating asked for %s at window %s: %s", req.ref, req.window_no, err)
            await self._set(req.id, state="unsent", error=str(err)[:500])
            return
        await self._set(req.id, call_id=call.id)

    async def _new_request(self, done: TicketDone) -> HallRatingRequest | None:
        """The request row for ``done`` (None: no pad at that window, or asked already)."""
        async with self._sessions() as s:
            site = await site_repo.get_by_path(s, done.site)
            if site is None:
                return None
            window = await s.scalar(
                select(HallWindow).where(
                    HallWindow.site_id == site.id, HallWindow.number == done.window_no
                )
            )
            if window is None or not window.rating_device or not window.rating_peripheral:
                return None
            req = HallRatingRequest(
                site_id=site.id,
                ref=ticket_ref(done.ticket_no, done.ticket_id, done.case_no),
                ticket_id=done.ticket_id,
                ticket_no=done.ticket_no,
                case_no=done.case_no,
                queue_code=done.queue_code,
                window_no=done.window_no,
                staff_no=done.staff_no,
                device_id=window.rating_device,
                peripheral=window.rating_peripheral,
                call_id="",
                state="asked",
                error="",
                asked_at=utcnow(),
            )
            s.add(req)
            try:
                await s.commit()
            except IntegrityError:  # the same ticket signalled twice: asked once
                return None
            return req

    async def _staff_label(self, site_id: int, staff_no: str) -> str:
        if not staff_no:
            return ""
        async with self._sessions() as s:
            name = await s.scalar(
                select(HallStaff.name).where(
                    HallStaff.site_id == site_id, HallStaff.staff_no == staff_no
                )
            )
        return f"{name or ''} 工号{staff_no}".strip()[:32]

    async def _set(self, req_id: int, **values: str) -> None:
        async with self._sessions() as s:
            req = await s.get(HallRatingRequest, req_id)
            if req is not None:
                for k, v in values.items():
                    setattr(req, k, v)
                await s.commit()

    async def on_peripheral_event(self, event: PeripheralEventIn) -> None:
        if event.body.kind is not EventKind.RATING:
            return
        try:
            data = RatingData.model_validate(event.body.data)
        except ValidationError:  # ingest validated it already; nothing to record
            return
        async with self._sessions() as s:
            req = await s.scalar(
                select(HallRatingRequest).where(
                    HallRatingRequest.ref == data.case_no,
                    HallRatingRequest.device_id == event.device_id,
                )
            )
            site_id = req.site_id if req else await self._device_site(s, event.device_id)
            if site_id is None:
                return
            new = _from_event(event, data, req, site_id)
            path = (await site_repo.paths(s, {site_id})).get(site_id, "")
            _row, fresh = await store.record(s, new, self._cal, path)
            if fresh and req is not None and req.state == "asked":
                req.state = "answered"
                await s.commit()

    @staticmethod
    async def _device_site(s: AsyncSession, device_id: str) -> int | None:
        device = await s.get(Device, device_id)
        return device.site_id if device else None

    async def sweep(self, now: datetime | None = None) -> int:
        """Asked requests whose call failed or expired → ``abandoned`` ratings; how many."""
        now = now or utcnow()
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(HallRatingRequest, PeripheralCallRow)
                    .join(PeripheralCallRow, PeripheralCallRow.id == HallRatingRequest.call_id)
                    .where(HallRatingRequest.state == "asked")
                )
            ).all()
            gone = [
                (req, call)
                for req, call in rows
                if call.state in _GAVE_UP or (call.state not in SETTLED and call.expires_at <= now)
            ]
            for req, call in gone:
                await self._abandon(s, req, call)
        self.swept.set()
        return len(gone)

    async def _abandon(
        self, s: AsyncSession, req: HallRatingRequest, call: PeripheralCallRow
    ) -> None:
        new = _base(req, req.site_id, f"call:{call.id}", "abandoned")
        path = (await site_repo.paths(s, {req.site_id})).get(req.site_id, "")
        await store.record(s, new, self._cal, path)
        req.state, req.error = "abandoned", (call.message or call.state)[:500]
        await s.commit()

    async def run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("rating sweep failed; trying again in %.0f s", self.poll_s)
            await asyncio.sleep(self.poll_s)


def _base(req: HallRatingRequest, site_id: int, key: str, outcome: str) -> store.NewRating:
    return store.NewRating(
        site_id=site_id,
        dedupe_key=key,
        source="pad",
        outcome=outcome,
        ticket_id=req.ticket_id,
        ticket_no=req.ticket_no,
        case_no=req.case_no,
        window_no=req.window_no,
        staff_no=req.staff_no,
        service_code=req.queue_code,
        device_id=req.device_id,
        asked_at=req.asked_at,
    )


def _from_event(
    event: PeripheralEventIn, data: RatingData, req: HallRatingRequest | None, site_id: int
) -> store.NewRating:
    outcome = "timed_out" if data.timed_out or data.code is None else "rated"
    key = f"evt:{event.msg_id}"
    if req is not None:
        new = _base(req, site_id, key, outcome)
    else:  # asked by someone else (an operator's call): the case is all we know
        new = store.NewRating(site_id, key, "pad", outcome, case_no=data.case_no)
        new.device_id = event.device_id
    new.level, new.rated_at = data.code, event.at
    # a pad that sends reasons with a good rating: the level stands, the reasons are dropped
    known = {r.value for r in Reason}
    new.reasons = [r for r in data.reasons if r in known] if data.code in REASON_LEVELS else []
    return new
