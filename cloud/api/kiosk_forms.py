"""The e-forms for kiosks (device credentials only; docs/kiosk-forms.md):

- ``GET  /api/v1/kiosk/forms`` — the forms citizens can fill now
- ``GET  /api/v1/kiosk/forms/{code}`` — the current definition (``current_form``)
- ``POST /api/v1/kiosk/forms/{code}/check`` — the one validation's problems
- ``POST /api/v1/kiosk/forms/{code}/handoffs`` — a single-use phone link for the QR code
- ``GET  /api/v1/kiosk/forms/handoffs/{id}`` — waiting | filled (the data, once) | expired
- ``POST /api/v1/kiosk/forms/{code}/print`` — A4 with the form's layout on this kiosk
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.forms_schemas import (
    CheckIn,
    CheckOut,
    FormListEntry,
    FormListOut,
    HandoffOut,
    HandoffPollOut,
    PrintIn,
    PrintOut,
    ProblemOut,
)
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.forms_desk import FormDesk
from cloud.kiosk.forms_errors import FormNotFound
from cloud.kiosk.forms_seed import SEED_FORMS, current_form, seed_form
from cloud.kiosk.parts import Kiosk
from protocols.eform import FormDef
from protocols.eform_check import form_problems
from protocols.guide import CODE_RE

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)
FormCode = Annotated[str, Path(pattern=CODE_RE, description="the form's code")]
HandoffId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_DEVICE = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "device_only: the caller is not a device",
}
_FORM = {**_DEVICE, 404: "form_not_found: no such form (or no such version)"}
_LIST_ERRORS = described(500, said=_DEVICE)
_GET_ERRORS = described(422, 500, said=_FORM)
_CHECK_ERRORS = described(400, 413, 422, 500, said=_FORM)
_HANDOFF_ERRORS = described(422, 500, said=_FORM)
_POLL_ERRORS = described(
    422, 500, said={**_DEVICE, 404: "handoff_not_found: no such hand-off of this kiosk"}
)
_PRINT_ERRORS = described(
    400,
    413,
    500,
    said={
        **_FORM,
        409: "no_a4_printer: this kiosk cannot print now",
        422: "form_data_invalid (citizen_message: the first problem), or an invalid body",
        503: "form_font_missing: the cloud has no CJK font",
    },
)


def _desk(kiosk: Kiosk) -> FormDesk:
    assert kiosk.form_desk is not None, "build_kiosk always builds the form desk"
    return kiosk.form_desk


async def form_version(kiosk: Kiosk, code: str, version: int | None) -> FormDef:
    """``version`` of ``code`` (the current one when None), or 404."""
    if version is None:
        form = await current_form(kiosk, code)
    elif kiosk.forms is not None and (saved := await _saved(kiosk, code, version)) is not None:
        form = saved
    else:
        shipped = seed_form(code)
        form = shipped if shipped is not None and shipped.version == version else None
    if form is None:
        raise FormNotFound(code, version)
    return form


async def _saved(kiosk: Kiosk, code: str, version: int) -> FormDef | None:
    assert kiosk.forms is not None
    try:
        return await kiosk.forms.version(code, version)
    except FormNotFound:
        return None


@router.get("/api/v1/kiosk/forms", response_model=FormListOut, responses=_LIST_ERRORS)
async def list_forms(caller: DeviceCaller, kiosk: KioskParts) -> FormListOut:
    """The forms with a current version (published, else shipped), by code."""
    published = await kiosk.forms.summaries(published_only=True) if kiosk.forms else []
    out = {
        s.code: FormListEntry(code=s.code, title=s.title, title_en=s.title_en, version=s.current)
        for s in published
    }
    for f in SEED_FORMS:
        out.setdefault(
            f.code,
            FormListEntry(code=f.code, title=f.title, title_en=f.title_en, version=f.version),
        )
    return FormListOut(forms=[out[c] for c in sorted(out)])


@router.get("/api/v1/kiosk/forms/{code}", response_model=FormDef, responses=_GET_ERRORS)
async def get_form(code: FormCode, caller: DeviceCaller, kiosk: KioskParts) -> FormDef:
    """The definition citizens fill now (what ``current_form`` answers)."""
    return await form_version(kiosk, code, None)


@router.post("/api/v1/kiosk/forms/{code}/check", response_model=CheckOut, responses=_CHECK_ERRORS)
async def check_form(
    code: FormCode, body: CheckIn, caller: DeviceCaller, kiosk: KioskParts
) -> CheckOut:
    """Every problem of ``data`` (the agent has put in the ID card's fields)."""
    form = await form_version(kiosk, code, body.version)
    problems = [ProblemOut.of(p) for p in form_problems(form, body.data)]
    return CheckOut(code=form.code, version=form.version, problems=problems)


@router.post(
    "/api/v1/kiosk/forms/{code}/handoffs",
    status_code=201,
    response_model=HandoffOut,
    responses=_HANDOFF_ERRORS,
)
async def hand_off(code: FormCode, caller: DeviceCaller, kiosk: KioskParts) -> HandoffOut:
    """A single-use link for the citizen's phone (its QR code is shown at the kiosk)."""
    form = await form_version(kiosk, code, None)
    desk = _desk(kiosk)
    made = await desk.handoffs.create(caller.name, form)
    url = f"{desk.phone_url}/f/{made.token}"
    return HandoffOut(id=made.id, url=url, version=form.version, expires_at=made.expires_at)


@router.get(
    "/api/v1/kiosk/forms/handoffs/{handoff_id}",
    response_model=HandoffPollOut,
    responses=_POLL_ERRORS,
)
async def poll_handoff(
    handoff_id: HandoffId, caller: DeviceCaller, kiosk: KioskParts
) -> HandoffPollOut:
    """The hand-off's state; ``filled`` answers the phone's data once (then ``expired``)."""
    got = await _desk(kiosk).handoffs.poll(caller.name, handoff_id)
    return HandoffPollOut(state=got.state, expires_at=got.expires_at, data=got.data)


@router.post(
    "/api/v1/kiosk/forms/{code}/print",
    status_code=201,
    response_model=PrintOut,
    responses=_PRINT_ERRORS,
)
async def print_form(
    code: FormCode, body: PrintIn, caller: DeviceCaller, kiosk: KioskParts
) -> PrintOut:
    """Check ``data`` and print it with the form's layout on this kiosk's A4 printer."""
    form = await form_version(kiosk, code, body.version)
    job_id = await _desk(kiosk).printer.print(caller, form, body.data, body.request_id or "")
    return PrintOut(job_id=job_id)
