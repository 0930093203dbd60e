"""``/api/v1/appointments``: a hall's appointment calendar in the console — the slots by day
and service with capacity and places held, generating a week of slots, and the bookings of a
day (masked: no ID number, name or phone in full).

Reading needs ``hall.read``; generating slots ``hall.configure`` (audited). A site outside the
caller's scope is a 404 worded like one that does not exist.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from cloud import audit
from cloud.api.appointment_schemas import BookingOut, SlotOut, SlotPlanIn, SlotPlanOut
from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.api.hall_queue_deps import (
    HallConfigurer,
    HallReader,
    HallSite,
    check_scope,
    record,
    scoped_site,
)
from cloud.api.kiosk_appointments import services_of
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.appointments_console import SlotPlan
from fleet.queue import hall_day

router = APIRouter(
    prefix="/api/v1/appointments",
    tags=["appointments"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
_SITE_404 = {404: "the site does not exist (or is outside your scope)"}


@router.get(
    "/slots",
    response_model=list[SlotOut],
    summary="A hall's appointment slots by day, with capacity and places held",
    responses=error_responses(described=_SITE_404),
)
async def list_slots(
    caller: HallReader,
    kiosk: KioskParts,
    site: HallSite,
    start: Annotated[date | None, Query(description="first day (default today, hall time)")] = None,
    days: Annotated[int, Query(ge=1, le=62)] = 7,
) -> list[SlotOut]:
    check_scope(caller, site)
    first = start or hall_day(services_of(kiosk).booking.now())
    found = await services_of(kiosk).calendar.calendar(site, first, days)
    return [SlotOut.of(v) for v in found]


@router.post(
    "/slots",
    response_model=SlotPlanOut,
    status_code=201,
    summary="Generate a week of slots for one service of a hall",
    responses=error_responses(
        400, 413, described={**_SITE_404, 422: "unknown service, bad or overlapping times"}
    ),
)
async def generate_slots(
    caller: HallConfigurer,
    kiosk: KioskParts,
    sessions: SessionsDep,
    request: Request,
    site: HallSite,
    body: SlotPlanIn,
) -> SlotPlanOut:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
    plan = SlotPlan(
        body.service, body.start, body.days, body.times, body.capacity, frozenset(body.weekdays)
    )
    created, skipped = await services_of(kiosk).calendar.generate(where, plan)
    last = body.start + timedelta(days=body.days - 1)
    detail: dict[str, object] = {
        **body.model_dump(mode="json"),
        "created": created,
        "skipped": skipped,
        "last_day": last.isoformat(),
    }
    rec = record(
        caller, request, "appointments.slots.generate", f"service:{body.service}", site, detail
    )
    await audit.write(sessions, rec)
    return SlotPlanOut(created=created, skipped=skipped)


@router.get(
    "",
    response_model=list[BookingOut],
    summary="A hall's bookings of one day (masked)",
    responses=error_responses(described=_SITE_404),
)
async def list_bookings(
    caller: HallReader,
    kiosk: KioskParts,
    site: HallSite,
    day: Annotated[date | None, Query(alias="date", description="default today")] = None,
) -> list[BookingOut]:
    check_scope(caller, site)
    svc = services_of(kiosk)
    found = await svc.calendar.bookings(site, day or hall_day(svc.booking.now()))
    return [BookingOut.of(v) for v in found]
