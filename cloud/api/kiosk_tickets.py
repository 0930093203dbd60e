"""``POST /api/v1/kiosk/tickets``: a kiosk takes a queue ticket for a citizen and prints it;
``GET /t/{token}``: the public phone page the ticket's QR opens.

The kiosk is its device credentials (HTTP Basic); its site is its device's site, so a kiosk
can take tickets only where it stands. The queue behind the site is the built-in one or the
city hall's system (``cloud.hall.backends``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.strict_json import StrictJsonRoute
from cloud.errors import CloudError
from cloud.hall.kiosk_tickets import KioskTickets
from cloud.hall.ticket_page import error_html, ticket_html
from cloud.hall.ticket_token import TicketLinkInvalid
from cloud.schemas import _In
from protocols.hall import TicketState

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)
CODE = r"^[A-Za-z0-9_.-]{1,32}$"
_ERRORS = described(
    409,
    413,
    422,
    500,
    said={
        401: "no device credentials, or wrong or revoked ones (code says which)",
        403: "the caller is not a device (code device_only)",
        404: "the kiosk's device or site is not registered",
        409: "this kiosk has no receipt printer, or the city queue system refused "
        "(code city_business_suspended, city_state_invalid, ...)",
        422: "unknown_service (the message lists the site's services), a city refusal "
        "(city_business_unknown), or an invalid body",
        503: "the site's queue cannot be reached: city_queue_unavailable or queue_not_running",
    },
)


class KioskTicketIn(_In):
    #: a service code of the kiosk's site (``GET /api/v1/hall/services?site=``)
    service: Annotated[str, Field(pattern=CODE)]
    #: the kiosk's own id for this press: the same id again returns the same ticket and job
    request_id: Annotated[str | None, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = None


class KioskTicketOut(BaseModel):
    ticket_id: int
    ticket_no: str
    state: TicketState
    people_ahead: int
    site: str
    site_name: str
    queue: str
    queue_name: str
    queue_name_en: str
    service: str
    service_name: str
    issued_at: datetime
    #: the ``print_receipt`` job printing it on this kiosk
    job_id: str
    #: the phone page the receipt's QR opens
    follow_url: str


def _kiosk(request: Request) -> KioskTickets:
    service: KioskTickets | None = request.app.state.parts.hall.kiosk_tickets
    assert service is not None, "build_hall always builds the kiosk ticket service"
    return service


@router.post(
    "/api/v1/kiosk/tickets", status_code=201, response_model=KioskTicketOut, responses=_ERRORS
)
async def take_ticket(
    body: KioskTicketIn, caller: DeviceCaller, request: Request, response: Response
) -> KioskTicketOut:
    """Take a ticket in the kiosk's site and print it on this kiosk (201); a request id seen
    before answers the same ticket and job (200)."""
    got = await _kiosk(request).take(caller, body.service, body.request_id or "")
    if not got.created:
        response.status_code = 200
    t, n = got.ticket, got.names
    return KioskTicketOut(
        ticket_id=t.id,
        ticket_no=t.ticket_no,
        state=t.state,
        people_ahead=t.people_ahead,
        site=t.site,
        site_name=n.site_name,
        queue=t.queue_code,
        queue_name=n.queue_zh,
        queue_name_en=n.queue_en,
        service=body.service,
        service_name=n.service_zh,
        issued_at=t.issued_at,
        job_id=got.job_id,
        follow_url=got.follow_url,
    )


@router.get("/t/{token}", include_in_schema=False, response_class=HTMLResponse)
async def follow_ticket(token: str, request: Request) -> HTMLResponse:
    """The phone page of one ticket (public: the signed token is the capability)."""
    headers = {"Cache-Control": "no-store"}
    if len(token) > 400:
        return HTMLResponse(error_html(404, "this ticket link is not valid"), 404, headers)
    try:
        ticket, site_name, service_name = await _kiosk(request).follow(token)
    except TicketLinkInvalid as err:
        return HTMLResponse(error_html(404, str(err)), 404, headers)
    except CloudError as err:
        status = err.status_code if err.status_code in (404, 503) else 503
        return HTMLResponse(error_html(status, str(err)), status, headers)
    return HTMLResponse(ticket_html(ticket, site_name, service_name), 200, headers)
