"""What every hall queue route takes: the caller per permission, the ``?site=`` path (checked
against the caller's scope: a site outside it is a 404 worded like one that does not exist) and
the hall's queue parts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.api.auth_deps import client_ip, require
from cloud.audit import AuditRecord, Result
from cloud.auth.principal import Principal
from cloud.db.models import Site
from cloud.errors import CloudError
from cloud.hall.backend import QueueBackend
from cloud.hall.parts import Hall
from cloud.hall.queue_desk import WindowDesk
from cloud.hall.queue_errors import UnknownSite
from cloud.hall.queue_store import site_of
from cloud.schemas import SITE_PATH_PATTERN
from fleet.access import Permission

HallReader = Annotated[Principal, Depends(require(Permission.HALL_READ))]
HallConfigurer = Annotated[Principal, Depends(require(Permission.HALL_CONFIGURE))]
QueueOperator = Annotated[Principal, Depends(require(Permission.QUEUE_OPERATE))]
#: ``?site=``: exactly one site (a hall), by its path
HallSite = Annotated[
    str, Query(pattern=SITE_PATH_PATTERN, description="the hall's site path, e.g. qh/hx/golmud/hhl")
]


class QueueUnavailable(CloudError):
    status_code = 503


def _hall(request: Request) -> Hall:
    hall: Hall = request.app.state.parts.hall
    return hall


async def get_queue(request: Request, site: HallSite) -> QueueBackend:
    """The queue serving ``?site=``: the city hall's system where configured, else ours."""
    return _hall(request).queue_for(site)


async def get_desk(request: Request) -> WindowDesk:
    desk = _hall(request).desk
    if desk is None:
        raise QueueUnavailable("the hall queue is not running in this cloud")
    return desk


QueueDep = Annotated[QueueBackend, Depends(get_queue)]
DeskDep = Annotated[WindowDesk, Depends(get_desk)]


def check_scope(caller: Principal, site: str) -> None:
    if not caller.sees(site):
        raise UnknownSite(site)


async def scoped_site(s: AsyncSession, caller: Principal, site: str) -> Site:
    check_scope(caller, site)
    return await site_of(s, site)


def record(
    caller: Principal,
    request: Request,
    action: str,
    target: str,
    site: str,
    detail: dict[str, object],
) -> AuditRecord:
    return AuditRecord(
        caller.actor, action, Result.OK, target, site, client_ip(request), "", dict(detail)
    )


async def site_changed(request: Request, site: Site) -> None:
    """Republish the site's live state and its window information (names, services, devices)
    after a configuration change; the window information only if it changed."""
    hall = _hall(request)
    if hall.live is not None:
        await hall.live.changed(site.id, site.path)
    if hall.content is not None:
        await hall.content.publish_windows(site.path, "system:hall-config")
