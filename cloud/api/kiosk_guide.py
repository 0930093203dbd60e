"""``POST /api/v1/kiosk/guide/{code}/print``: a kiosk prints an item's 办事指南 on its own A4
printer; ``GET /g/{code}``: the item's public phone page the guide's QR code opens.

The kiosk is its device credentials; the page is public (the published catalogue is public
information) and holds nothing personal: the answers in its query are the situation choices.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.strict_json import StrictJsonRoute
from cloud.db.models import Site
from cloud.kiosk.errors import KioskError
from cloud.kiosk.guide_current import department_name, published_item
from cloud.kiosk.guide_page import guide_html, message_html
from cloud.kiosk.guide_print import GuidePrint
from cloud.schemas import _In
from protocols.guide import CODE_RE

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)
Code = Annotated[str, Field(pattern=CODE_RE)]
_ERRORS = described(
    400,
    413,
    422,
    500,
    said={
        401: "no device credentials, or wrong or revoked ones (code says which)",
        403: "the caller is not a device (code device_only)",
        404: "guide_item_unknown: the published catalogue has no such item",
        409: "no_a4_printer: this kiosk has no A4 printer, or it is unplugged",
        422: "guide_answers_invalid (a question or option the item does not have), or an "
        "invalid body",
        503: "guide_not_published (no catalogue yet) or guide_font_missing (the cloud host "
        "has no CJK font)",
    },
)


class GuidePrintIn(_In):
    #: the citizen's situation choices: question code → option code
    answers: Annotated[
        dict[Code, Code],
        Field(
            default_factory=dict, max_length=40, json_schema_extra={"additionalProperties": False}
        ),
    ]
    #: the kiosk's own id for this press: the same id again returns the same job
    request_id: Annotated[str | None, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = None


class GuidePrintOut(BaseModel):
    #: the ``print_document`` job printing the guide on this kiosk
    job_id: str
    #: the public page the paper's QR code opens (same answers)
    qr_url: str


def _printer(request: Request) -> GuidePrint:
    service: GuidePrint | None = request.app.state.parts.kiosk.guide_print
    assert service is not None, "build_kiosk always builds the guide printer"
    return service


@router.post(
    "/api/v1/kiosk/guide/{code}/print",
    status_code=201,
    response_model=GuidePrintOut,
    responses=_ERRORS,
)
async def print_guide(
    code: Code, body: GuidePrintIn, caller: DeviceCaller, request: Request
) -> GuidePrintOut:
    """Print the item's guide for these answers on the calling kiosk's A4 printer (201)."""
    printer = _printer(request)
    job_id = await printer.print(caller, code, body.answers, body.request_id or "")
    return GuidePrintOut(job_id=job_id, qr_url=printer.qr_url(code, body.answers))


async def _site_names(request: Request, paths: list[str]) -> dict[str, str]:
    async with request.app.state.parts.sessions() as s:
        rows = await s.execute(select(Site.path, Site.name).where(Site.path.in_(paths)))
    return {path: name for path, name in rows.all()}


@router.get("/g/{code}", include_in_schema=False, response_class=HTMLResponse)
async def guide_page(code: str, request: Request) -> Response:
    """The public phone page of one item; the query holds situation answers."""
    headers = {"Cache-Control": "public, max-age=60"}
    try:
        catalogue, item = await published_item(request.app.state.parts.kiosk, code[:40])
    except KioskError as err:  # not published, no such item: a page saying so
        zh, en = err.citizen
        status = err.status_code if err.status_code in (404, 503) else 503
        return HTMLResponse(message_html(zh, en), status, {"Cache-Control": "no-store"})
    questions = {q.code for q in item.questions}
    answers = {k: v for k, v in request.query_params.items() if k in questions}
    page = guide_html(
        item,
        answers,
        department=department_name(catalogue, item.department),
        site_names=await _site_names(request, list(item.windows)),
        sample=catalogue.sample,
    )
    return HTMLResponse(page, 200, headers)
