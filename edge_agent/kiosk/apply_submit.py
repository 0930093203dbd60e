"""The cloud side of the kiosk's self-service application: the item's e-form (fetched once per
situation and kept in the draft), the typed data checked with the one validation
(``protocols.eform_check``, the card's fields put in from the card the agent holds), and the
submit: every accepted page uploaded with the device's credentials, then the application.
A submit that fails keeps the draft (nothing is lost; the citizen may try again or go to a
window); one that succeeds deletes it and the session's card stays for the receipt screen.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from edge_agent.kiosk.apply_store import Draft, DraftStore
from edge_agent.kiosk.idcard import masked_card
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error, relay
from protocols.eform import FormDef

log = logging.getLogger(__name__)

FORM_PATH = "/api/v1/kiosk/apply/form"
PAGES_PATH = "/api/v1/kiosk/apply/materials"
SUBMIT_PATH = "/api/v1/kiosk/apply/applications"
#: the cloud bounds the platform (KFLEET_CITY_PLATFORM_TIMEOUT_S per call; a few calls)
SUBMIT_TIMEOUT_S = 60.0
UPLOAD_TIMEOUT_S = 30.0


def _form_of(draft: Draft) -> FormDef | None:
    try:
        return FormDef.model_validate(draft.form) if draft.form is not None else None
    except ValidationError:
        return None


def _form_answer(draft: Draft) -> Response:
    body = {"form": draft.form, "data": draft.form_data, "card": masked_card(draft.card)}
    return JSONResponse(body, headers=NO_STORE)


async def fetch_form(parts: KioskParts, store: DraftStore, draft: Draft) -> Response:
    if _form_of(draft) is not None:
        return _form_answer(draft)
    body = {"item": draft.item, "answers": draft.answers}
    answer = await relay(parts, "POST", FORM_PATH, json=body, timeout_s=15.0)
    if answer.status_code != 200:
        return answer
    try:
        form = FormDef.model_validate_json(bytes(answer.body))
    except ValidationError:
        log.warning("kiosk apply: the cloud's form is not a FormDef")
        return error(
            502,
            "form_unreadable",
            "申请表暂时无法显示，请到窗口办理。",
            "The form cannot be shown.",
        )
    draft.form = form.model_dump(mode="json")
    store.save(draft)
    return _form_answer(draft)


def save_form(store: DraftStore, draft: Draft, body: dict[str, Any]) -> Response:
    """Keep what was typed; 422 ``form_invalid`` with every problem, or 200."""
    from protocols.eform_check import form_problems, with_card  # jsonschema_rs: when used

    form = _form_of(draft)
    if form is None:
        return error(409, "no_form", "请先打开申请表。", "Open the form first.")
    data = body.get("data")
    if not isinstance(data, dict) or len(data) > 60:
        return error(422, "form_invalid", "申请表内容无效。", "The form's data is not valid.")
    draft.form_data = {k: v for k, v in data.items() if isinstance(k, str)}
    store.save(draft)
    problems = form_problems(form, with_card(form, draft.form_data, draft.card))
    if problems:
        rows = [
            {"field": p.field, "message": p.message, "message_en": p.message_en} for p in problems
        ]
        first = problems[0]
        body = {
            "code": "form_invalid",
            "message": first.message,
            "message_en": first.message_en,
            "problems": rows,
        }
        return JSONResponse(body, status_code=422, headers=NO_STORE)
    return JSONResponse({"ok": True}, headers=NO_STORE)


async def upload_page(parts: KioskParts, store: DraftStore, page_id: str) -> str | Response:
    """One page kept by the cloud as an apply page; its sha256 (the submit, and a help call's
    material review, name pages by it)."""
    data = store.read_page(page_id)
    if data is None:
        return error(
            409,
            "page_lost",
            "有一页扫描件已丢失，请重新扫描。",
            "A scanned page was lost: scan it again.",
        )
    sha = hashlib.sha256(data).hexdigest()
    answer = await relay(
        parts,
        "PUT",
        f"{PAGES_PATH}/{sha}",
        content=data,
        content_type="image/jpeg",
        timeout_s=UPLOAD_TIMEOUT_S,
    )
    return sha if answer.status_code in (200, 201) else answer


async def submit(parts: KioskParts, store: DraftStore, draft: Draft) -> Response:
    from protocols.eform_check import with_card

    form = _form_of(draft)
    if form is None:
        return error(409, "no_form", "请先填写申请表。", "Fill in the form first.")
    if draft.pending is not None:
        return error(
            409,
            "page_pending",
            "请先确认或重拍刚扫描的一页。",
            "Accept or retake the last page first.",
        )
    materials = []
    for code, pages in draft.pages.items():
        shas = []
        for page_id in pages:
            got = await upload_page(parts, store, page_id)
            if isinstance(got, Response):
                return got
            shas.append(got)
        materials.append({"code": code, "pages": shas})
    if not materials:
        return error(422, "no_materials", "请先扫描材料。", "Scan your materials first.")
    body = {
        "request_id": draft.request_id,
        "item": draft.item,
        "answers": draft.answers,
        "id_number": draft.card["id_number"],
        "name": draft.card["name"],
        "form_code": form.code,
        "form_version": form.version,
        "form_data": with_card(form, draft.form_data, draft.card),
        "materials": materials,
    }
    answer = await relay(parts, "POST", SUBMIT_PATH, json=body, timeout_s=SUBMIT_TIMEOUT_S)
    if answer.status_code == 201:
        store.forget()
        log.info("kiosk apply: item %s submitted (%d material(s))", draft.item, len(materials))
    return answer
