"""``/api/v1/hall/windows``: a hall's windows — the queues each calls from (in preference
order), its usual staff, and the devices it uses (call button box and its first button, rating
pad, window screen). Reading needs ``hall.read``, changing ``hall.configure`` (audited). The
window's status and who is signed in are the desk's (``/windows/{number}/sign-in`` …)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud import audit
from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.api.hall_queue_deps import (
    HallConfigurer,
    HallReader,
    HallSite,
    record,
    scoped_site,
    site_changed,
)
from cloud.api.hall_queue_schemas import WindowEdit, WindowIn, WindowOut
from cloud.api.strict_json import StrictJsonRoute
from cloud.db.hall import HallQueue, HallWindow
from cloud.db.models import Site
from cloud.errors import Conflict
from cloud.hall.queue_store import in_hand, window_of
from cloud.hall.queue_tables import HallTicket
from protocols.hall import WindowStatus

router = APIRouter(
    prefix="/api/v1/hall",
    tags=["hall"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
Number = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,8}$", description="a window number")]
_W404 = {404: "no such site or window (or outside your scope)"}
_SITE_404 = "the site does not exist (or is outside your scope)"


def window_out(w: HallWindow, held: HallTicket | None = None) -> WindowOut:
    return WindowOut(
        number=w.number,
        name_zh=w.name_zh,
        name_en=w.name_en,
        queue_codes=[str(c) for c in w.queue_codes],
        roster=[str(r) for r in w.roster],
        call_device=w.call_device,
        call_button=w.call_button,
        rating_device=w.rating_device,
        rating_peripheral=w.rating_peripheral,
        screen_device=w.screen_device,
        status=WindowStatus(w.status),
        staff_no=w.staff_no,
        ticket_no=held.ticket_no if held else "",
        ticket_state=held.state if held else "",
    )


async def _checked(s: AsyncSession, site: Site, body: WindowEdit, number: str) -> None:
    known = set((await s.scalars(select(HallQueue.code).where(HallQueue.site_id == site.id))).all())
    unknown = [c for c in body.queue_codes if c not in known]
    if unknown:
        raise Conflict(
            f"queue {unknown[0]} is not configured at {site.path}; create it first "
            f"(queues there: {sorted(known)})"
        )
    if len(set(body.queue_codes)) != len(body.queue_codes):
        raise Conflict("a queue is listed twice in queue_codes; list each once, preferred first")
    if body.call_device:
        clash = await s.scalar(
            select(HallWindow.number).where(
                HallWindow.call_device == body.call_device,
                HallWindow.call_button == body.call_button,
                HallWindow.number != number,
            )
        )
        if clash is not None:
            raise Conflict(
                f"window {clash} uses button {body.call_button} of {body.call_device} already; "
                "give this window another call_button (each window takes 4 buttons)"
            )


@router.get(
    "/windows",
    response_model=list[WindowOut],
    summary="A hall's windows, their devices and who is at them",
    responses=error_responses(described={404: _SITE_404}),
)
async def list_windows(
    caller: HallReader, sessions: SessionsDep, site: HallSite
) -> list[WindowOut]:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        rows = await s.scalars(
            select(HallWindow).where(HallWindow.site_id == where.id).order_by(HallWindow.number)
        )
        return [window_out(w, await in_hand(s, where, w.number)) for w in rows.all()]


@router.post(
    "/windows",
    response_model=WindowOut,
    status_code=201,
    responses=error_responses(
        400,
        413,
        described={
            404: _SITE_404,
            409: "the number is taken, a queue is unknown, or the call button is another window's",
        },
    ),
)
async def create_window(
    caller: HallConfigurer, sessions: SessionsDep, request: Request, site: HallSite, body: WindowIn
) -> WindowOut:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        if await s.scalar(
            select(HallWindow.id).where(
                HallWindow.site_id == where.id, HallWindow.number == body.number
            )
        ):
            raise Conflict(f"window {body.number} exists at {site} already; edit it with PUT")
        await _checked(s, where, body, body.number)
        w = HallWindow(site_id=where.id, status="closed", staff_no="", **body.model_dump())
        s.add(w)
        out = window_out(w)
        audit.add(
            s,
            record(
                caller,
                request,
                "hall.window.create",
                f"window:{body.number}",
                site,
                {"before": None, "after": out.model_dump(mode="json")},
            ),
        )
        await s.commit()
    await site_changed(request, where)
    return out


@router.put(
    "/windows/{number}",
    response_model=WindowOut,
    responses=error_responses(
        400,
        413,
        described={**_W404, 409: "a queue is unknown, or the call button is another window's"},
    ),
)
async def update_window(
    caller: HallConfigurer,
    sessions: SessionsDep,
    request: Request,
    site: HallSite,
    number: Number,
    body: WindowEdit,
) -> WindowOut:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        w = await window_of(s, where, number)
        before = window_out(w).model_dump(mode="json")
        await _checked(s, where, body, number)
        for key, value in body.model_dump().items():
            setattr(w, key, value)
        out = window_out(w, await in_hand(s, where, number))
        audit.add(
            s,
            record(
                caller,
                request,
                "hall.window.update",
                f"window:{number}",
                site,
                {"before": before, "after": out.model_dump(mode="json")},
            ),
        )
        await s.commit()
    await site_changed(request, where)
    return out


@router.delete(
    "/windows/{number}",
    status_code=204,
    responses=error_responses(described={**_W404, 409: "the window has a ticket in hand"}),
)
async def delete_window(
    caller: HallConfigurer, sessions: SessionsDep, request: Request, site: HallSite, number: Number
) -> Response:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        w = await window_of(s, where, number)
        held = await in_hand(s, where, number)
        if held is not None:
            raise Conflict(
                f"window {number} has ticket {held.ticket_no} ({held.state}); complete or "
                "transfer it before deleting the window"
            )
        audit.add(
            s,
            record(
                caller,
                request,
                "hall.window.delete",
                f"window:{number}",
                site,
                {"before": window_out(w).model_dump(mode="json"), "after": None},
            ),
        )
        await s.delete(w)
        await s.commit()
    await site_changed(request, where)
    return Response(status_code=204)
