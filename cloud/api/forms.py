"""The e-form editor's API (console ``/forms``; docs/kiosk-forms.md). Reading needs
``hall.read``; saving, publishing and rolling back need ``forms.edit``.

- ``GET  /api/v1/forms`` — every form: its current and latest version
- ``GET  /api/v1/forms/{code}/versions`` — its versions, newest first
- ``GET  /api/v1/forms/{code}/versions/{version}`` — one version's definition
- ``POST /api/v1/forms`` — save a definition as the next version of its code (not yet current)
- ``POST /api/v1/forms/check`` — a definition's problems and sample data's (the preview)
- ``POST /api/v1/forms/{code}/publish`` / ``rollback`` — make a version current
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from cloud.api.auth_deps import require
from cloud.api.errors import error_responses
from cloud.api.forms_schemas import FormData, ProblemOut, Version
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.kiosk.forms_service import FormService, usable_problems
from cloud.kiosk.parts import Kiosk
from cloud.schemas import _In
from fleet.access import Permission
from protocols.eform import FormDef
from protocols.eform_check import form_problems
from protocols.guide import CODE_RE, PLAIN

router = APIRouter(
    tags=["forms"], responses=error_responses(401, 403, 500), route_class=StrictJsonRoute
)
Reader = Annotated[Principal, Depends(require(Permission.HALL_READ))]
Editor = Annotated[Principal, Depends(require(Permission.FORMS_EDIT))]
FormCode = Annotated[str, Path(pattern=CODE_RE, description="the form's code")]
VersionPath = Annotated[str, Path(pattern=r"^[1-9][0-9]{0,5}$", description="the version")]
_404 = {404: "form_not_found: no such form or version"}


class SummaryOut(BaseModel):
    code: str
    title: str
    title_en: str
    #: the version citizens fill now (0: none published)
    current: int
    latest: int
    published_at: datetime | None


class FormsOut(BaseModel):
    forms: list[SummaryOut]


class VersionOut(BaseModel):
    version: int
    note: str
    author: str
    created_at: datetime
    current: bool


class VersionsOut(BaseModel):
    code: str
    versions: list[VersionOut]


class SaveIn(_In):
    form: FormDef
    note: Annotated[str, Field(max_length=200, pattern=PLAIN)] = ""


class CheckFormIn(_In):
    form: FormDef
    #: sample data to try the form with (the preview's)
    data: FormData


class CheckFormOut(BaseModel):
    #: what stops the definition from being saved or published
    definition: list[str]
    #: the sample data's problems (empty when the definition itself is unusable)
    problems: list[ProblemOut]


class VersionIn(_In):
    version: Version


def _service(kiosk: Kiosk) -> FormService:
    assert kiosk.forms is not None, "build_kiosk always builds the form service"
    return kiosk.forms


@router.get("/api/v1/forms", response_model=FormsOut)
async def list_forms(caller: Reader, kiosk: KioskParts) -> FormsOut:
    """Every form saved (the shipped ones are seeded at start), by code."""
    rows = await _service(kiosk).summaries()
    return FormsOut(forms=[SummaryOut(**vars(r)) for r in rows])


@router.get(
    "/api/v1/forms/{code}/versions",
    response_model=VersionsOut,
    responses=error_responses(422, described=_404),
)
async def list_versions(code: FormCode, caller: Reader, kiosk: KioskParts) -> VersionsOut:
    rows = await _service(kiosk).versions(code)
    return VersionsOut(code=code, versions=[VersionOut(**vars(v)) for v in rows])


@router.get(
    "/api/v1/forms/{code}/versions/{version}",
    response_model=FormDef,
    responses=error_responses(422, described=_404),
)
async def get_version(
    code: FormCode, version: VersionPath, caller: Reader, kiosk: KioskParts
) -> FormDef:
    return await _service(kiosk).version(code, int(version))


@router.post(
    "/api/v1/forms",
    status_code=201,
    response_model=FormDef,
    responses=error_responses(
        400, 413, 422, described={422: "form_definition_invalid (message lists why)"}
    ),
)
async def save_form(body: SaveIn, caller: Editor, kiosk: KioskParts) -> FormDef:
    """Save ``form`` as the next version of its code; citizens see it once published."""
    return await _service(kiosk).save(body.form, caller.actor, body.note)


@router.post(
    "/api/v1/forms/check",
    response_model=CheckFormOut,
    responses=error_responses(400, 413, 422),
)
async def check_form(body: CheckFormIn, caller: Reader) -> CheckFormOut:
    """The preview's check: the definition's problems, then the sample data's."""
    definition = usable_problems(body.form)
    problems = [] if definition else form_problems(body.form, body.data)
    return CheckFormOut(definition=definition, problems=[ProblemOut.of(p) for p in problems])


_MAKE_CURRENT = error_responses(
    400,
    413,
    422,
    described={
        **_404,
        409: "form_state_refused: already current, or a roll back to a newer version",
        422: "form_definition_invalid, or an invalid body",
    },
)


@router.post("/api/v1/forms/{code}/publish", status_code=204, responses=_MAKE_CURRENT)
async def publish_form(code: FormCode, body: VersionIn, caller: Editor, kiosk: KioskParts) -> None:
    """Make ``version`` the one citizens fill, at every kiosk from its next form."""
    await _service(kiosk).publish(code, body.version, caller.actor)


@router.post("/api/v1/forms/{code}/rollback", status_code=204, responses=_MAKE_CURRENT)
async def rollback_form(code: FormCode, body: VersionIn, caller: Editor, kiosk: KioskParts) -> None:
    """Make an older ``version`` current again."""
    await _service(kiosk).rollback(code, body.version, caller.actor)
