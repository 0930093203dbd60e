"""``/api/v1/guide/items``, ``/departments``, ``/themes``: the service-guide catalogue's
working copy, as the console edits it (docs/kiosk-guide.md).

Reading needs ``hall.read``; changing needs ``guide.edit`` at the top of the site tree
(``cloud.api.guide_deps``). Every change is in the audit log. Nothing here reaches a kiosk
until ``POST /api/v1/guide/publish``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from cloud.api.auth_deps import client_ip
from cloud.api.errors import error_responses
from cloud.api.guide_deps import CatalogueDep, GuideEditor, GuideReader, ItemCode
from cloud.api.strict_json import StrictJsonRoute
from cloud.errors import Unprocessable
from cloud.kiosk.catalogue_schemas import ItemList, ItemOut
from cloud.kiosk.catalogue_service import Filters
from protocols.guide import Department, Item, Theme

router = APIRouter(
    prefix="/api/v1/guide",
    tags=["service guide"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
_NO_ITEM = {404: "no such item in the working copy (code guide_item_not_found)"}
_SAVE = {
    413: "the item is larger than KFLEET_API_MAX_BODY_BYTES",
    422: "the item is invalid, or names a department or theme the catalogue does not hold",
}
Draft = Annotated[bool, Query(description="keep the item out of publications for now")]


class DepartmentList(BaseModel):
    departments: list[Department]


class ThemeList(BaseModel):
    themes: list[Theme]


@router.get("/items", response_model=ItemList, summary="The working copy's items, filtered")
async def list_items(
    _caller: GuideReader,
    service: CatalogueDep,
    q: Annotated[str, Query(max_length=80, description="in code, names, keywords")] = "",
    department: Annotated[str, Query(max_length=40)] = "",
    theme: Annotated[str, Query(max_length=40)] = "",
    object: Literal["", "person", "legal_person"] = "",
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> ItemList:
    """Summaries in code order; ``problems`` counts what stops each from being published."""
    found, total = await service.list_items(Filters(q, department, theme, object), limit)
    return ItemList(items=found, total=total)


@router.post(
    "/items",
    status_code=201,
    response_model=ItemOut,
    responses=error_responses(400, described={409: "an item with this code exists", **_SAVE}),
    summary="Add an item",
)
async def create_item(
    item: Item, caller: GuideEditor, service: CatalogueDep, request: Request, draft: Draft = False
) -> ItemOut:
    return await service.create(item, draft=draft, actor=caller.actor, ip=client_ip(request))


@router.get("/items/{code}", response_model=ItemOut, responses=error_responses(described=_NO_ITEM))
async def get_item(code: ItemCode, _caller: GuideReader, service: CatalogueDep) -> ItemOut:
    """The item as saved, its revision and what stops it from being published."""
    return await service.get(code)


@router.put(
    "/items/{code}",
    response_model=ItemOut,
    responses=error_responses(
        400,
        described={
            **_NO_ITEM,
            409: "someone saved a newer revision (code guide_stale_revision)",
            **_SAVE,
        },
    ),
    summary="Replace an item",
)
async def put_item(
    code: ItemCode,
    item: Item,
    caller: GuideEditor,
    service: CatalogueDep,
    request: Request,
    draft: Draft = False,
    revision: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="the revision you loaded")
    ] = None,
) -> ItemOut:
    """The body's code must be the path's (rename = add the new code, delete the old)."""
    if item.code != code:
        raise Unprocessable(
            f"the body is item {item.code!r} but the path names {code!r}: to rename an item "
            "add it under the new code and delete the old one"
        )
    return await service.update(
        item, draft=draft, revision=revision, actor=caller.actor, ip=client_ip(request)
    )


@router.delete(
    "/items/{code}",
    status_code=204,
    responses=error_responses(described=_NO_ITEM),
    summary="Remove an item from the working copy",
)
async def delete_item(
    code: ItemCode, caller: GuideEditor, service: CatalogueDep, request: Request
) -> Response:
    """Kiosks keep it until the next publication."""
    await service.delete(code, actor=caller.actor, ip=client_ip(request))
    return Response(status_code=204)


@router.get("/departments", response_model=DepartmentList)
async def list_departments(_caller: GuideReader, service: CatalogueDep) -> DepartmentList:
    """The departments (办理部门) items name, in code order."""
    return DepartmentList(departments=await service.departments())


@router.post(
    "/departments",
    status_code=201,
    response_model=Department,
    responses={
        **error_responses(400, 413),
        200: {"model": Department, "description": "an existing one renamed"},
    },
    summary="Add a department, or rename one (200)",
)
async def save_department(
    body: Department, caller: GuideEditor, service: CatalogueDep, request: Request, r: Response
) -> Department:
    if not await service.save_department(body, actor=caller.actor, ip=client_ip(request)):
        r.status_code = 200
    return body


@router.get("/themes", response_model=ThemeList)
async def list_themes(_caller: GuideReader, service: CatalogueDep) -> ThemeList:
    """The themes (主题) items are filed under, in code order."""
    return ThemeList(themes=await service.themes())


@router.post(
    "/themes",
    status_code=201,
    response_model=Theme,
    responses={
        **error_responses(400, 413),
        200: {"model": Theme, "description": "an existing one renamed"},
    },
    summary="Add a theme, or rename one (200)",
)
async def save_theme(
    body: Theme, caller: GuideEditor, service: CatalogueDep, request: Request, r: Response
) -> Theme:
    if not await service.save_theme(body, actor=caller.actor, ip=client_ip(request)):
        r.status_code = 200
    return body
