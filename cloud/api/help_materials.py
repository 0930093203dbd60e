"""Remote review of the citizen's scanned materials during a help call (docs/help-cobrowse.md).

Operator side (``help.answer``, only the accepting operator, only while active):
``GET /api/v1/help/calls/{call_id}/materials``, ``GET .../materials/{material_id}/pages/{n}``
(full resolution), ``POST .../materials/{material_id}/decision``. Kiosk side (device
credentials): ``PUT /api/v1/kiosk/help/calls/{call_id}/materials`` (the application's
materials, each page uploaded first as an apply page) and ``GET .../materials/decisions``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.help_cobrowse import (
    _DEVICE,
    _OPERATOR,
    KIOSK,
    OP,
    CallId,
    InCallDep,
    Operator,
    WaitS,
)
from cloud.api.kiosk_apply import SHA256
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.apply import media_type_of
from cloud.schemas import _In
from protocols.guide import CODE_RE, PLAIN

router = APIRouter(tags=["help"], route_class=StrictJsonRoute)
PAGE_NO = r"^([1-9]|1[0-9]|20)$"
MaterialId = Annotated[str, Path(pattern=CODE_RE, description="the material's code")]

_LIST_ERRORS = described(400, 422, 500, said=_OPERATOR)
_PAGE_ERRORS = described(
    400, 422, 500, said={**_OPERATOR, 404: "no such call, material or page (or it expired)"}
)
_DECIDE_ERRORS = described(400, 413, 422, 500, said={**_OPERATOR, 404: "no such call or material"})
_PUT_ERRORS = described(
    400,
    413,
    422,
    500,
    said={
        **_DEVICE,
        409: _DEVICE[409] + ", or material_missing (a page this kiosk has not uploaded)",
    },
)
_DECISIONS_ERRORS = described(400, 422, 500, said=_DEVICE)


class MaterialOut(BaseModel):
    material_id: str
    name: str
    #: how many pages
    pages: int
    state: Literal["pending", "accepted", "rescan"]
    note: str


class MaterialIn(_In):
    material_id: Annotated[str, Field(pattern=CODE_RE)]
    name: Annotated[str, Field(min_length=1, max_length=120, pattern=PLAIN)]
    #: the pages' sha256 in order, each uploaded with ``PUT /api/v1/kiosk/apply/materials/…``
    pages: Annotated[list[Annotated[str, Field(pattern=SHA256)]], Field(max_length=20)]


class MaterialsIn(_In):
    materials: Annotated[list[MaterialIn], Field(max_length=50)]


class MaterialsVersion(BaseModel):
    version: int


class DecisionIn(_In):
    decision: Literal["accept", "rescan"]
    #: what the citizen should do (shown on the kiosk: 工作人员请您重新扫描：<note>)
    note: Annotated[str, Field(max_length=200, pattern=PLAIN)] = ""


class DecisionRow(BaseModel):
    material_id: str
    state: Literal["pending", "accepted", "rescan"]
    note: str
    #: the pages (sha256) the decision is about: a kiosk ignores one about pages it replaced
    pages: list[str]


class DecisionsOut(BaseModel):
    version: int
    decisions: list[DecisionRow]


@router.get(f"{OP}/materials", response_model=list[MaterialOut], responses=_LIST_ERRORS)
async def list_materials(call_id: CallId, caller: Operator, incall: InCallDep) -> list[MaterialOut]:
    """The materials of the citizen's current application, with the review so far."""
    await incall.gate.operator(call_id, caller)
    return [MaterialOut.model_validate(m) for m in incall.materials.listed(call_id)]


@router.get(
    f"{OP}/materials/{{material_id}}/pages/{{n}}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}, **_PAGE_ERRORS},
)
async def material_page(
    call_id: CallId,
    material_id: MaterialId,
    n: Annotated[str, Path(pattern=PAGE_NO, description="the page, from 1 to 20")],
    caller: Operator,
    incall: InCallDep,
) -> FileResponse:
    """One page at full resolution (never cached)."""
    await incall.gate.operator(call_id, caller)
    path = incall.materials.page(call_id, material_id, int(n))
    with path.open("rb") as f:
        kind = media_type_of(f.read(8)) or "application/octet-stream"
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-store"})


@router.post(
    f"{OP}/materials/{{material_id}}/decision",
    response_model=MaterialOut,
    responses=_DECIDE_ERRORS,
)
async def decide_material(
    call_id: CallId,
    material_id: MaterialId,
    body: DecisionIn,
    caller: Operator,
    incall: InCallDep,
) -> MaterialOut:
    """Accept a material, or ask the citizen to scan it again (with a note they will read)."""
    await incall.gate.operator(call_id, caller)
    material = incall.materials.decide(call_id, material_id, body.decision, body.note)
    return MaterialOut.model_validate(material.out())


@router.put(f"{KIOSK}/materials", response_model=MaterialsVersion, responses=_PUT_ERRORS)
async def put_materials(
    call_id: CallId, body: MaterialsIn, caller: DeviceCaller, incall: InCallDep
) -> MaterialsVersion:
    """The materials the citizen's application holds now (a rescan replaces a material's
    pages and puts it back to ``pending``)."""
    await incall.gate.device(call_id, caller)
    rows = [(m.material_id, m.name, list(m.pages)) for m in body.materials]
    return MaterialsVersion(version=await incall.materials.put(call_id, caller.name, rows))


@router.get(
    f"{KIOSK}/materials/decisions", response_model=DecisionsOut, responses=_DECISIONS_ERRORS
)
async def material_decisions(
    call_id: CallId,
    caller: DeviceCaller,
    incall: InCallDep,
    after: Annotated[int, Query(ge=0, le=2**31)] = 0,
    wait_s: WaitS = 0,
) -> DecisionsOut:
    """The operator's decisions; waits up to ``wait_s`` for a version newer than ``after``."""
    await incall.gate.device(call_id, caller)
    got = await incall.materials.decisions(call_id, after, wait_s)
    if wait_s:  # the call may have ended while waiting: the kiosk hears 409 and stops
        await incall.gate.device(call_id, caller)
    return DecisionsOut.model_validate(got)
