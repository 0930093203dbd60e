"""``/api/v1/hall/queues`` and ``/api/v1/hall/services``: a hall's queues (a prefix each) and
the services citizens choose at the kiosk (each queued in one queue).

Reading needs ``hall.read``, changing ``hall.configure``; every change is audited with the
thing before and after. A queue with services or waiting tickets cannot be deleted (deactivate
it, or move its services first)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import func, select
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
from cloud.api.hall_queue_schemas import (
    QueueEdit,
    QueueIn,
    QueueOut,
    ServiceEdit,
    ServiceIn,
    ServiceOut,
)
from cloud.api.strict_json import StrictJsonRoute
from cloud.db.hall import HallQueue, HallService
from cloud.db.models import Site
from cloud.errors import Conflict
from cloud.hall.queue_errors import UnknownQueue, UnknownService
from cloud.hall.queue_tables import HallTicket
from protocols.hall import TicketState

router = APIRouter(
    prefix="/api/v1/hall",
    tags=["hall"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
Code = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="a code")]
_SITE_404 = "the site does not exist (or is outside your scope)"
_Q404 = {404: "no such site or queue (or outside your scope)"}
_S404 = {404: "no such site, service or queue (or outside your scope)"}


def _q_out(q: HallQueue, waiting: int = 0) -> QueueOut:
    return QueueOut(
        code=q.code,
        name_zh=q.name_zh,
        name_en=q.name_en,
        prefix=q.prefix,
        active=q.active,
        waiting=waiting,
    )


def _s_out(sv: HallService, queue: str) -> ServiceOut:
    return ServiceOut(
        code=sv.code, name_zh=sv.name_zh, name_en=sv.name_en, queue=queue, active=sv.active
    )


async def _queue(s: AsyncSession, site: Site, code: str) -> HallQueue:
    q = await s.scalar(
        select(HallQueue).where(HallQueue.site_id == site.id, HallQueue.code == code)
    )
    if q is None:
        raise UnknownQueue(site.path, code)
    return q


async def _prefix_free(s: AsyncSession, site: Site, prefix: str, code: str) -> None:
    other = await s.scalar(
        select(HallQueue.code).where(
            HallQueue.site_id == site.id, HallQueue.prefix == prefix, HallQueue.code != code
        )
    )
    if other is not None:
        raise Conflict(f"prefix {prefix} is used by queue {other} at {site.path}; choose another")


@router.get(
    "/queues",
    response_model=list[QueueOut],
    summary="A hall's queues with their waiting counts",
    responses=error_responses(described={404: _SITE_404}),
)
async def list_queues(caller: HallReader, sessions: SessionsDep, site: HallSite) -> list[QueueOut]:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        waiting = dict(
            (
                await s.execute(
                    select(HallTicket.queue_code, func.count())
                    .where(HallTicket.site_id == where.id)
                    .where(HallTicket.state == TicketState.ISSUED.value)
                    .group_by(HallTicket.queue_code)
                )
            ).all()
        )
        rows = await s.scalars(
            select(HallQueue).where(HallQueue.site_id == where.id).order_by(HallQueue.code)
        )
        return [_q_out(q, int(waiting.get(q.code, 0))) for q in rows]


@router.post(
    "/queues",
    response_model=QueueOut,
    status_code=201,
    responses=error_responses(
        400, 413, described={404: _SITE_404, 409: "the code or the prefix is taken at the site"}
    ),
)
async def create_queue(
    caller: HallConfigurer, sessions: SessionsDep, request: Request, site: HallSite, body: QueueIn
) -> QueueOut:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        if await s.scalar(
            select(HallQueue.id).where(HallQueue.site_id == where.id, HallQueue.code == body.code)
        ):
            raise Conflict(f"queue {body.code} exists at {site} already; edit it with PUT")
        await _prefix_free(s, where, body.prefix, body.code)
        q = HallQueue(site_id=where.id, **body.model_dump())
        s.add(q)
        out = _q_out(q)
        audit.add(
            s,
            record(
                caller,
                request,
                "hall.queue.create",
                f"queue:{body.code}",
                site,
                {"before": None, "after": out.model_dump()},
            ),
        )
        await s.commit()
    await site_changed(request, where)
    return out


@router.put(
    "/queues/{code}",
    response_model=QueueOut,
    responses=error_responses(400, 413, described={**_Q404, 409: "the prefix is taken"}),
)
async def update_queue(
    caller: HallConfigurer,
    sessions: SessionsDep,
    request: Request,
    site: HallSite,
    code: Code,
    body: QueueEdit,
) -> QueueOut:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        q = await _queue(s, where, code)
        before = _q_out(q).model_dump()
        await _prefix_free(s, where, body.prefix, code)
        for key, value in body.model_dump().items():
            setattr(q, key, value)
        out = _q_out(q)
        audit.add(
            s,
            record(
                caller,
                request,
                "hall.queue.update",
                f"queue:{code}",
                site,
                {"before": before, "after": out.model_dump()},
            ),
        )
        await s.commit()
    await site_changed(request, where)
    return out


@router.delete(
    "/queues/{code}",
    status_code=204,
    responses=error_responses(described={**_Q404, 409: "services or tickets still use it"}),
)
async def delete_queue(
    caller: HallConfigurer, sessions: SessionsDep, request: Request, site: HallSite, code: Code
) -> Response:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        q = await _queue(s, where, code)
        used = await s.scalar(select(HallService.code).where(HallService.queue_id == q.id))
        if used is not None:
            raise Conflict(f"service {used} is queued in {code}; move or delete it first")
        waiting = await s.scalar(
            select(func.count()).where(
                HallTicket.site_id == where.id,
                HallTicket.queue_code == code,
                HallTicket.state.in_(["issued", "called", "serving"]),
            )
        )
        if waiting:
            raise Conflict(f"{waiting} open tickets are in queue {code}; deactivate it instead")
        audit.add(
            s,
            record(
                caller,
                request,
                "hall.queue.delete",
                f"queue:{code}",
                site,
                {"before": _q_out(q).model_dump(), "after": None},
            ),
        )
        await s.delete(q)
        await s.commit()
    await site_changed(request, where)
    return Response(status_code=204)


async def _service(s: AsyncSession, site: Site, code: str) -> HallService:
    sv = await s.scalar(
        select(HallService).where(HallService.site_id == site.id, HallService.code == code)
    )
    if sv is None:
        raise UnknownService(site.path, code)
    return sv


@router.get(
    "/services",
    response_model=list[ServiceOut],
    summary="The services citizens choose at a hall's kiosk",
    responses=error_responses(described={404: _SITE_404}),
)
async def list_services(
    caller: HallReader, sessions: SessionsDep, site: HallSite
) -> list[ServiceOut]:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        rows = (
            await s.execute(
                select(HallService, HallQueue.code)
                .join(HallQueue, HallQueue.id == HallService.queue_id)
                .where(HallService.site_id == where.id)
                .order_by(HallService.code)
            )
        ).all()
        return [_s_out(sv, qc) for sv, qc in rows]


def _s_record(
    caller: Any, request: Request, action: str, site: str, code: str, before: Any, after: Any
) -> audit.AuditRecord:
    return record(
        caller, request, action, f"service:{code}", site, {"before": before, "after": after}
    )


@router.post(
    "/services",
    response_model=ServiceOut,
    status_code=201,
    responses=error_responses(400, 413, described={**_S404, 409: "the code is taken"}),
)
async def create_service(
    caller: HallConfigurer, sessions: SessionsDep, request: Request, site: HallSite, body: ServiceIn
) -> ServiceOut:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        q = await _queue(s, where, body.queue)
        if await s.scalar(
            select(HallService.id).where(
                HallService.site_id == where.id, HallService.code == body.code
            )
        ):
            raise Conflict(f"service {body.code} exists at {site} already; edit it with PUT")
        sv = HallService(site_id=where.id, queue_id=q.id, **body.model_dump(exclude={"queue"}))
        s.add(sv)
        out = _s_out(sv, q.code)
        audit.add(
            s,
            _s_record(
                caller, request, "hall.service.create", site, body.code, None, out.model_dump()
            ),
        )
        await s.commit()
    await site_changed(request, where)
    return out


@router.put(
    "/services/{code}",
    response_model=ServiceOut,
    responses=error_responses(400, 413, described=_S404),
)
async def update_service(
    caller: HallConfigurer,
    sessions: SessionsDep,
    request: Request,
    site: HallSite,
    code: Code,
    body: ServiceEdit,
) -> ServiceOut:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        sv = await _service(s, where, code)
        old_q = await s.get(HallQueue, sv.queue_id)
        before = _s_out(sv, old_q.code if old_q else "").model_dump()
        q = await _queue(s, where, body.queue)
        sv.name_zh, sv.name_en, sv.active, sv.queue_id = (
            body.name_zh,
            body.name_en,
            body.active,
            q.id,
        )
        out = _s_out(sv, q.code)
        audit.add(
            s,
            _s_record(caller, request, "hall.service.update", site, code, before, out.model_dump()),
        )
        await s.commit()
    await site_changed(request, where)
    return out


@router.delete("/services/{code}", status_code=204, responses=error_responses(described=_S404))
async def delete_service(
    caller: HallConfigurer, sessions: SessionsDep, request: Request, site: HallSite, code: Code
) -> Response:
    """Delete a service (its tickets keep its code; deactivate it to keep it listed)."""
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        sv = await _service(s, where, code)
        audit.add(
            s, _s_record(caller, request, "hall.service.delete", site, code, {"code": code}, None)
        )
        await s.delete(sv)
        await s.commit()
    await site_changed(request, where)
    return Response(status_code=204)
