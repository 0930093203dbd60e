"""``/api/v1/kiosk/appointments``: a kiosk books, lists, cancels and checks in appointments for
the citizen in front of it (device credentials; the kiosk's site is its device's site).

The ID number comes from the card the agent read (it puts it in the body); it is checked
(GB 11643) before anything else and never stored — bookings keep a keyed hash of it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from cloud.api.appointment_schemas import (
    ID_NUMBER,
    REF,
    SERVICE,
    BookIn,
    BookingOut,
    CheckInOut,
    PersonIn,
    SlotOut,
)
from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.errors import CloudError
from cloud.kiosk.appointments_build import AppointmentServices
from cloud.kiosk.appointments_service import Person
from cloud.kiosk.parts import Kiosk

router = APIRouter(prefix="/api/v1/kiosk/appointments", tags=["kiosk"], route_class=StrictJsonRoute)
Ref = Annotated[str, Path(pattern=REF, description="the booking reference, e.g. Y261208-0007")]
_AUTH = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "the caller is not a device (code device_only)",
}
_REFUSED = (
    "a rule refused (code slot_full, slot_started, already_booked, not_cancellable, "
    "too_early, too_late, appointment_cancelled, appointment_checked_in, appointment_no_show, "
    "wrong_site); citizen_message says it for the citizen"
)


class AppointmentsOff(CloudError):
    status_code = 503
    code = "appointments_not_running"


def services_of(kiosk: Kiosk) -> AppointmentServices:
    if kiosk.appointments is None:
        raise AppointmentsOff("appointments are not running in this cloud")
    return kiosk.appointments


def _site(caller: Principal) -> str:
    return caller.device_site or ""


@router.get(
    "/slots",
    response_model=list[SlotOut],
    responses=described(422, 500, said={**_AUTH, 404: "the kiosk's site is not registered"}),
)
async def bookable_slots(
    caller: DeviceCaller,
    kiosk: KioskParts,
    service: Annotated[str, Query(pattern=SERVICE)] = "",
    day: Annotated[date | None, Query(alias="date")] = None,
) -> list[SlotOut]:
    """The slots of the kiosk's site a citizen may book now, soonest first."""
    found = await services_of(kiosk).booking.slots(
        _site(caller), service, day.isoformat() if day else ""
    )
    return [SlotOut.of(v) for v in found]


@router.post(
    "",
    status_code=201,
    response_model=BookingOut,
    responses=described(
        400,
        413,
        422,
        500,
        said={
            **_AUTH,
            404: "no such slot for this service at the kiosk's site (code unknown_slot)",
            409: _REFUSED,
            422: "an invalid body, or bad_id_number (the check digit), or slot_too_far",
        },
    ),
)
async def book(body: BookIn, caller: DeviceCaller, kiosk: KioskParts) -> BookingOut:
    """Book a place; the citizen gets a text (``sms_sent`` says whether it went)."""
    who = Person(body.id_number.upper(), body.name)
    view = await services_of(kiosk).booking.book(
        _site(caller), caller.name, body.slot_id, body.service, who, body.phone
    )
    return BookingOut.of(view)


@router.get(
    "",
    response_model=list[BookingOut],
    responses=described(422, 500, said={**_AUTH, 422: "bad_id_number, or an invalid query"}),
)
async def my_appointments(
    caller: DeviceCaller,
    kiosk: KioskParts,
    id_number: Annotated[str, Query(pattern=ID_NUMBER)],
) -> list[BookingOut]:
    """The citizen's appointments from today on, at every site (masked)."""
    return [BookingOut.of(v) for v in await services_of(kiosk).booking.mine(id_number.upper())]


@router.post(
    "/mine",
    response_model=list[BookingOut],
    responses=described(
        400, 413, 422, 500, said={**_AUTH, 422: "bad_id_number, or an invalid body"}
    ),
)
async def my_appointments_posted(
    body: PersonIn, caller: DeviceCaller, kiosk: KioskParts
) -> list[BookingOut]:
    """The same as ``GET`` with the ID number in the body, out of every URL (and so out of
    HTTP clients' request logs): what the kiosk agent uses."""
    return [BookingOut.of(v) for v in await services_of(kiosk).booking.mine(body.id_number.upper())]


@router.post(
    "/{ref}/cancel",
    response_model=BookingOut,
    responses=described(
        400,
        413,
        422,
        500,
        said={**_AUTH, 404: "no such appointment for this ID number", 409: _REFUSED},
    ),
)
async def cancel(ref: Ref, body: PersonIn, caller: DeviceCaller, kiosk: KioskParts) -> BookingOut:
    """Cancel before the slot starts; the citizen gets a text."""
    return BookingOut.of(await services_of(kiosk).booking.cancel(ref, body.id_number.upper()))


@router.post(
    "/{ref}/check-in",
    response_model=CheckInOut,
    responses=described(
        400,
        413,
        422,
        500,
        said={
            **_AUTH,
            404: "no such appointment for this ID number",
            409: _REFUSED + "; or this kiosk has no receipt printer",
            503: "the site's queue cannot be reached (city_queue_unavailable, queue_not_running)",
        },
    ),
)
async def check_in(ref: Ref, body: PersonIn, caller: DeviceCaller, kiosk: KioskParts) -> CheckInOut:
    """Check in at this kiosk: a queue ticket with the appointment's priority, printed here."""
    done = await services_of(kiosk).check_in.check_in(caller, ref, body.id_number.upper())
    t = done.ticket
    return CheckInOut(
        booking=BookingOut.of(done.booking),
        ticket_id=t.id,
        ticket_no=t.ticket_no,
        people_ahead=t.people_ahead,
        priority=True,  # check-in is refused outside the slot (fleet.appointments)
        queue_name=done.names.queue_zh,
        queue_name_en=done.names.queue_en,
        job_id=done.job_id,
        follow_url=done.follow_url,
    )
