"""自助复印 for a kiosk: ``POST /api/v1/kiosk/copies`` (a ``copy`` job on this kiosk, purpose
``copy``) and ``GET /api/v1/kiosk/copies/{job_id}`` (how it ended, in the citizen's words).

The kiosk is its device credentials (HTTP Basic); errors carry ``citizen_message`` and
``citizen_message_en``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from cloud.api.auth_deps import DeviceCaller
from cloud.api.deps import JOB_ID_PATTERN
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.errors import NotFound
from cloud.kiosk.copy import CopyService
from cloud.schemas import _In
from protocols.guide import PLAIN

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)
_AUTH = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "the caller is not a device (code device_only)",
}
_START_ERRORS = described(
    400,
    413,
    500,
    said={
        **_AUTH,
        404: "the copy service is not part of this cloud",
        409: "no_copier: this kiosk has no working A4 printer with a document camera",
        422: "an invalid body (the label: 1–32 characters, no control characters)",
    },
)
_STATE_ERRORS = described(
    400,
    500,
    said={**_AUTH, 404: "copy_not_found: no copy job of this kiosk", 422: "a malformed id"},
)


class CopyIn(_In):
    #: the XX of the mark "仅供XX使用", as the citizen chose it
    label: Annotated[str, Field(min_length=1, max_length=32, pattern=PLAIN)]
    copies: Annotated[int, Field(ge=1, le=10, strict=True)] = 1
    lang: Literal["zh-CN", "en"] = "zh-CN"
    #: the kiosk's id for this press of the button: a retry gets the same job
    request_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


class CopyStarted(BaseModel):
    job_id: str


class CopyStateOut(BaseModel):
    job_id: str
    #: waiting, done, failed, uncertain
    state: str
    citizen_message: str | None = None
    citizen_message_en: str | None = None


def _service(kiosk: KioskParts) -> CopyService:
    if kiosk.copy is None:
        raise NotFound("the self-service copy is not part of this cloud")
    return kiosk.copy


@router.post(
    "/api/v1/kiosk/copies", status_code=201, response_model=CopyStarted, responses=_START_ERRORS
)
async def start_copy(body: CopyIn, caller: DeviceCaller, kiosk: KioskParts) -> CopyStarted:
    """A marked copy of the page under this kiosk's document camera, on its A4 printer."""
    job_id = await _service(kiosk).start(
        caller, body.label, body.copies, body.lang, body.request_id
    )
    return CopyStarted(job_id=job_id)


@router.get("/api/v1/kiosk/copies/{job_id}", response_model=CopyStateOut, responses=_STATE_ERRORS)
async def copy_state(
    job_id: Annotated[str, Path(pattern=JOB_ID_PATTERN, description="the copy's job id")],
    caller: DeviceCaller,
    kiosk: KioskParts,
) -> CopyStateOut:
    """Where this kiosk's copy is; a failed one says why in the citizen's words."""
    state = await _service(kiosk).state(caller, job_id)
    zh, en = state.citizen or (None, None)
    return CopyStateOut(
        job_id=state.job_id, state=state.state, citizen_message=zh, citizen_message_en=en
    )
