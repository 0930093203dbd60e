"""``POST /api/v1/guide/preview``: what applies to an item (saved or still being edited) for
chosen answers, for the console editor's preview. It runs ``fleet.guide.applicable``, the one
decision the kiosk, the public page and the printed guide use, so the preview cannot
disagree with them; an invalid item is the same 422 a save would answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from cloud.api.auth_deps import require
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.schemas import _In
from fleet.access import Permission
from fleet.guide import applicable, problems
from protocols.guide import CODE_RE, Form, Item, Material, Question, ReviewPoint

router = APIRouter(tags=["service guide"], route_class=StrictJsonRoute)
HallReader = Annotated[Principal, Depends(require(Permission.HALL_READ))]
Code = Annotated[str, Field(pattern=CODE_RE)]


class PreviewIn(_In):
    item: Item
    #: question code → option code
    answers: Annotated[
        dict[Code, Code],
        Field(
            default_factory=dict, max_length=40, json_schema_extra={"additionalProperties": False}
        ),
    ]


class PreviewOut(BaseModel):
    #: the questions to show for these answers (follow-ups once their condition holds)
    questions: list[Question]
    #: shown questions without a valid answer: the lists are not final until empty
    unanswered: list[str]
    materials: list[Material]
    forms: list[Form]
    review_points: list[ReviewPoint]
    #: what stops the item from being published (``fleet.guide.problems``)
    problems: list[str]


@router.post(
    "/api/v1/guide/preview",
    response_model=PreviewOut,
    responses=error_responses(400, 401, 403, 413, 422, 500),
    summary="What applies to an item for chosen answers (the editor's preview)",
)
async def preview(body: PreviewIn, _caller: HallReader) -> PreviewOut:
    got = applicable(body.item, body.answers)
    return PreviewOut(
        questions=got.questions,
        unanswered=got.unanswered,
        materials=got.materials,
        forms=got.forms,
        review_points=got.review_points,
        problems=problems(body.item),
    )
