"""Ratings a citizen gives without a window's pad: at a kiosk after a self-service task
(``POST /api/v1/kiosk/ratings``, the kiosk's own device credentials) and on a phone by QR code
(``GET|POST /r/{token}``, public: the signed token is the only authority, one rating each)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from cloud.api.auth_deps import DeviceCaller
from cloud.api.deps import SessionsDep
from cloud.api.enrollment import described
from cloud.api.errors import error_responses
from cloud.api.hall_ratings import rating_out, ratings_of
from cloud.api.hall_ratings_schemas import KioskRateIn, PhoneRated, RateIn, RatingOut
from cloud.api.strict_json import StrictJsonRoute
from cloud.db import sites as site_repo
from cloud.db.hall import HallRating
from cloud.errors import CloudError, Conflict, NotFound, Unprocessable
from cloud.hall import ratings_store as store
from cloud.hall.ratings_tokens import TOKEN_PATTERN, RatingGrant
from fleet import ratings as rules

router = APIRouter(tags=["hall ratings"], route_class=StrictJsonRoute)
PAGE = Path(__file__).resolve().parent.parent / "console" / "hall_rate.html"
Token = Annotated[str, PathParam(pattern=TOKEN_PATTERN, description="the signed rating token")]


@router.post(
    "/api/v1/kiosk/ratings",
    response_model=RatingOut,
    status_code=201,
    summary="A rating given at this kiosk after a self-service task",
    responses=described(
        400,
        413,
        422,
        500,
        said={
            200: "this request_id was recorded already: the stored rating",
            401: "no device credentials, or wrong or revoked ones (code says which)",
            403: "the caller is not a device",
        },
    ),
)
async def kiosk_rating(
    caller: DeviceCaller,
    sessions: SessionsDep,
    request: Request,
    response: Response,
    body: KioskRateIn,
) -> RatingOut:
    """Recorded at the kiosk's own site; a retry with the same ``request_id`` is one rating."""
    site = caller.device_site or ""
    new = store.NewRating(
        site_id=0,
        dedupe_key=f"kiosk:{caller.name}:{body.request_id}",
        source="kiosk",
        outcome="rated",
        level=body.level,
        reasons=list(body.reasons),
        comment=body.comment,
        ticket_no=body.ticket_no,
        case_no=body.case_no,
        service_code=body.service,
        device_id=caller.name,
    )
    row, fresh = await _record(request, sessions, site, new)
    if not fresh:
        response.status_code = 200
    return rating_out(row, site)


async def _record(
    request: Request, sessions: SessionsDep, site: str, new: store.NewRating
) -> tuple[HallRating, bool]:
    async with sessions() as s:
        found = await site_repo.get_by_path(s, site)
        if found is None:
            raise NotFound(f"site {site} not found")
        new.site_id = found.id
        try:
            return await store.record(s, new, ratings_of(request).calendar, site)
        except rules.RatingError as err:
            raise Unprocessable(str(err)) from None


def _grant_new(grant: RatingGrant, body: RateIn) -> store.NewRating:
    return store.NewRating(
        site_id=0,
        dedupe_key=f"phone:{grant.id}",
        source="phone",
        outcome="rated",
        level=body.level,
        reasons=list(body.reasons),
        comment=body.comment,
        ticket_id=grant.ticket_id,
        ticket_no=grant.ticket_no,
        case_no=grant.case_no,
        window_no=grant.window_no,
        staff_no=grant.staff_no,
        service_code=grant.service_code,
    )


@router.post(
    "/r/{token}",
    response_model=PhoneRated,
    status_code=201,
    summary="A citizen's rating from a phone (public: the signed token authorises it)",
    responses=error_responses(
        400,
        413,
        422,
        500,
        described={
            404: "the link expired, is forged or damaged (not issued by this hall), or its "
            "site is gone",
            409: "this link was used already: one rating per link",
            422: "the body is invalid",
        },
    ),
)
async def phone_rate(
    sessions: SessionsDep, request: Request, token: Token, body: RateIn
) -> PhoneRated:
    grant = ratings_of(request).tokens.read(token)
    row, fresh = await _record(request, sessions, grant.site, _grant_new(grant, body))
    if not fresh:
        raise Conflict("this rating link was used already (此链接已评价): one rating per link")
    return PhoneRated(rating_id=row.id, message="感谢您的评价 / Thank you for your rating")


_PAGE_ERRORS = error_responses(
    422, 500, described={404: "the link expired, is forged or damaged: an HTML page saying so"}
)
#: the 404 is the page itself (HTML), described like every error (its JSON shape too)
_HTML_404 = {
    **_PAGE_ERRORS,
    404: {
        **_PAGE_ERRORS[404],
        "content": {**_PAGE_ERRORS[404].get("content", {}), "text/html": {}},
    },
}


@router.get(
    "/r/{token}",
    summary="The phone rating page (public; zh-CN with English)",
    responses={
        200: {"description": "the page (HTML)", "content": {"text/html": {}}},
        **_HTML_404,
    },
)
async def phone_page(sessions: SessionsDep, request: Request, token: Token) -> HTMLResponse:
    """Five big choices and, for the lower three, reason chips; posts to the same path."""
    try:
        grant = ratings_of(request).tokens.read(token)
    except CloudError as err:
        return _page(str(err), "", err.status_code, used=True)
    async with sessions() as s:
        used = await store.existing(s, f"phone:{grant.id}") is not None
    where = "".join(
        f"<span>{label} {html.escape(value)}</span>"
        for label, value in (
            ("窗口 Window", grant.window_no),
            ("号码 Ticket", grant.ticket_no),
            ("办件 Case", grant.case_no),
        )
        if value
    )
    msg = "您已评价，感谢！ / You have rated already, thank you." if used else ""
    return _page(msg, where, 200, used=used)


def _page(message: str, where: str, status: int, *, used: bool) -> HTMLResponse:
    text = PAGE.read_text(encoding="utf-8")
    text = text.replace("{{message}}", html.escape(message)).replace("{{where}}", where)
    text = text.replace("{{state}}", "done" if used else "open")
    return HTMLResponse(text, status_code=status)
