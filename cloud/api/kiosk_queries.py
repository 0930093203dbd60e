"""The convenience queries (便民查询) for kiosks: ``GET /api/v1/kiosk/queries`` (what can be
asked), ``POST /api/v1/kiosk/queries/{code}`` (ask: masked rows), ``.../print`` (on this
kiosk's receipt printer). Device credentials only; a person query needs the identity token
its one-time code granted at this kiosk and the card it was granted for (docs/kiosk-queries.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field, StrictInt

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.departments.base import QueryDecl
from cloud.kiosk.parts import Kiosk
from cloud.kiosk.queries_print import print_query
from cloud.kiosk.queries_service import Answer, Asked, QueryService
from cloud.schemas import _In

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)
QueryCode = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{2,47}$")]
_DEVICE = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "device_only (the caller is not a device), or identity_required: a person query "
    "without a valid identity token for this card at this kiosk",
}
_RUN_ERRORS = {
    **_DEVICE,
    404: "unknown_query",
    422: "query_input_invalid, department_refused (the department's own reason), or an "
    "invalid body; citizen_message says what to do",
    502: "department_auth_failed or department_bad_answer",
    503: "department_unavailable, department_maintenance or department_not_configured",
    504: "department_timeout: no answer within the department's timeout",
}
_LIST_ERRORS = described(500, said=_DEVICE)
_QUERY_ERRORS = described(400, 413, 422, 500, said=_RUN_ERRORS)
_PRINT_ERRORS = described(
    400,
    413,
    422,
    500,
    said={
        **_RUN_ERRORS,
        409: "query_not_printed: this kiosk cannot print now (no receipt printer)",
        422: f"{_RUN_ERRORS[422]}; query_not_printable",
    },
)


class QueryListOut(BaseModel):
    queries: list[QueryDecl]
    #: the codes of queries whose department is configured (the others say so when asked)
    available: list[str]


InputName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
InputValue = Annotated[str, Field(max_length=64, pattern=r"^[^\x00]*$")]
#: keys that do not match the name pattern are invalid (JSON Schema allows them otherwise)
ONLY_NAMED = {"additionalProperties": False}


class QueryIn(_In):
    #: input name → value (a query's inputs: ``GET /api/v1/kiosk/queries``)
    inputs: Annotated[
        dict[InputName, InputValue],
        Field(default_factory=dict, max_length=20, json_schema_extra=ONLY_NAMED),
    ]
    page: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    #: from ``POST /api/v1/kiosk/identity/verify``; person queries only
    identity_token: Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z0-9_.~-]*$")] = ""
    #: the card read at the kiosk, which the identity token was granted for (person queries)
    id_number: Annotated[str, Field(pattern=r"^([0-9]{17}[0-9Xx])?$")] = ""
    name: Annotated[str, Field(max_length=64, pattern=r"^[^\x00]*$")] = ""


class QueryOut(BaseModel):
    query: str
    layout: str
    #: the declared fields, masked as the declaration says
    rows: list[dict[str, str]]
    total: int
    page: int
    pages: int
    as_of: datetime
    notes: list[str]


class PrintOut(BaseModel):
    job_id: str


def _service(kiosk: Kiosk) -> QueryService:
    assert kiosk.queries is not None, "build_kiosk always builds the query service"
    return kiosk.queries


def _asked(code: str, body: QueryIn) -> Asked:
    return Asked(code, dict(body.inputs), body.page, body.identity_token, body.id_number, body.name)


def _out(a: Answer) -> QueryOut:
    return QueryOut(
        query=a.decl.code,
        layout=a.decl.layout,
        rows=a.rows,
        total=a.total,
        page=a.page,
        pages=a.pages,
        as_of=a.as_of,
        notes=a.notes,
    )


@router.get("/api/v1/kiosk/queries", response_model=QueryListOut, responses=_LIST_ERRORS)
async def list_queries(caller: DeviceCaller, kiosk: KioskParts) -> QueryListOut:
    """Every declared query, and which of them can be answered now."""
    registry = _service(kiosk).registry
    decls = list(registry.decls.values())
    return QueryListOut(queries=decls, available=[d.code for d in decls if registry.available(d)])


@router.post("/api/v1/kiosk/queries/{code}", response_model=QueryOut, responses=_QUERY_ERRORS)
async def run_query(
    code: QueryCode, body: QueryIn, caller: DeviceCaller, kiosk: KioskParts
) -> QueryOut:
    """Ask one query; rows come masked (``ResultField.mask``), one page at a time."""
    return _out(await _service(kiosk).run(caller, _asked(code, body)))


@router.post(
    "/api/v1/kiosk/queries/{code}/print",
    status_code=201,
    response_model=PrintOut,
    responses=_PRINT_ERRORS,
)
async def print_result(
    code: QueryCode, body: QueryIn, caller: DeviceCaller, kiosk: KioskParts, request: Request
) -> PrintOut:
    """Ask again and print the (masked) page on this kiosk's receipt printer."""
    jobs = request.app.state.parts.jobs
    job_id, _ = await print_query(_service(kiosk), jobs, caller, _asked(code, body))
    return PrintOut(job_id=job_id)
