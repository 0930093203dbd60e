"""Dependencies of the catalogue routes: the service, who may read and who may edit.

The catalogue is the whole tree's (one document every site's kiosks hold): reading it needs
``hall.read``; changing it needs ``guide.edit`` *and* a scope at the top of the tree — an
operator of one town cannot change what every town's kiosks show (403 ``scope_too_narrow``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from cloud import audit
from cloud.api.auth_deps import client_ip, require, scope_of
from cloud.api.deps import SessionsDep
from cloud.auth.principal import Principal
from cloud.errors import Forbidden, NotFound
from cloud.kiosk.catalogue_service import CatalogueService
from fleet.access import Permission
from protocols.guide import CODE_RE


async def catalogue_service(request: Request) -> CatalogueService:
    service: CatalogueService | None = request.app.state.parts.kiosk.catalogue
    if service is None:  # pragma: no cover - build_kiosk builds it whenever hall content runs
        raise NotFound("the service-guide catalogue is not enabled in this cloud")
    return service


async def _editor(
    request: Request,
    sessions: SessionsDep,
    caller: Annotated[Principal, Depends(require(Permission.GUIDE_EDIT))],
) -> Principal:
    scope = scope_of(caller)
    if "/" in scope:
        message = (
            f"the catalogue is shared by every site, and {caller.actor}'s scope is {scope}: "
            "ask someone whose scope is the top of the site tree to make this change"
        )
        await audit.write(
            sessions,
            audit.AuditRecord(
                caller.actor,
                "permission.denied",
                audit.Result.DENIED,
                f"{request.method} {request.url.path}"[:200],
                scope,
                client_ip(request),
                message,
            ),
        )
        raise Forbidden(message, "scope_too_narrow")
    return caller


CatalogueDep = Annotated[CatalogueService, Depends(catalogue_service)]
GuideReader = Annotated[Principal, Depends(require(Permission.HALL_READ))]
GuideEditor = Annotated[Principal, Depends(_editor)]
ItemCode = Annotated[str, Path(pattern=CODE_RE, description="the item's code")]
