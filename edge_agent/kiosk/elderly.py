"""高龄补贴 on the kiosk (``/kiosk/api/elderly/...``, docs/kiosk-elderly.md): who may register
(the age rule of ``protocols.elderly`` on the card just read: no network needed to refuse a
69-year-old), the 青海省高龄补贴登记表 checked here the one way every surface checks it
(``with_card`` + ``form_problems``) and submitted through the cloud. The face-verified
certification's routes are :mod:`edge_agent.kiosk.elderly_cert`'s.

The full card and the form's definition stay in the session; the browser sees the masked card
and the problems.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk import elderly_cert
from edge_agent.kiosk.elderly_card import NO_CARD, card_of
from edge_agent.kiosk.idcard import masked_card
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error, relay
from protocols.eform import FormDef
from protocols.elderly import eligibility

log = logging.getLogger(__name__)
FORM_KEY = "elderly.form"
BEIJING = timezone(timedelta(hours=8))


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _eligibility(card: dict[str, str]) -> dict[str, Any]:
    try:
        found = eligibility(card["id_number"], datetime.now(BEIJING).date())
    except ValueError:  # a card whose number does not check: nobody's age can be read off it
        unread = {"zh": "无法识别身份证号码，请到窗口办理。", "en": "Please ask at a window."}
        return {"card": True, "eligible": False, "age": 0, "tier": "", "reason": unread}
    reason = {"zh": found.reason, "en": found.reason_en} if not found.eligible else None
    return {"card": True, "eligible": found.eligible, "age": found.age, "tier": found.tier,
            "reason": reason}  # fmt: skip


async def _form(parts: KioskParts) -> FormDef | Response:
    held = parts.session.get(FORM_KEY)
    if isinstance(held, FormDef):
        return held
    r = await relay(parts, "GET", "/api/v1/kiosk/elderly/form")
    if r.status_code != 200:
        return r
    form = FormDef.model_validate_json(bytes(r.body))
    parts.session.put(FORM_KEY, form)
    return form


def _filled(form: FormDef, data: Any, card: dict[str, str]) -> dict[str, Any]:
    """The browser's values with the card's fields put in from the card the agent holds."""
    from protocols.eform_check import with_card  # jsonschema_rs (~4 MB): with the first form

    values = data if isinstance(data, dict) else {}
    return with_card(form, values, {**card, "birth_date": card.get("birth", "")})


def _problems(form: FormDef, filled: dict[str, Any]) -> list[dict[str, str]]:
    from protocols.eform_check import form_problems

    return [
        {"field": p.field, "message": p.message, "message_en": p.message_en}
        for p in form_problems(form, filled)
    ]


def routes(parts: KioskParts) -> list[BaseRoute]:
    async def status(request: Request) -> Response:
        card = card_of(parts)
        if card is None:
            return JSONResponse({"card": False}, headers=NO_STORE)
        body = {**_eligibility(card), "masked": masked_card(card)}
        return JSONResponse(body, headers=NO_STORE)

    async def form(request: Request) -> Response:
        got = await _form(parts)
        if isinstance(got, Response):
            return got
        return JSONResponse(got.model_dump(mode="json"), headers=NO_STORE)

    async def check_or_register(request: Request) -> Response:
        card = card_of(parts)
        if card is None:
            return error(409, "no_card", *NO_CARD)
        if not (found := _eligibility(card))["eligible"]:
            return error(422, "elderly_not_eligible", found["reason"]["zh"], found["reason"]["en"])
        got = await _form(parts)
        if isinstance(got, Response):
            return got
        filled = _filled(got, (await _body(request)).get("data"), card)
        problems = _problems(got, filled)
        if request.url.path.endswith("/check") or problems:
            status_code = 200 if request.url.path.endswith("/check") else 422
            first = problems[0] if problems else {"message": "", "message_en": ""}
            body = {"code": "form_invalid" if problems else "ok", "problems": problems,
                    "message": first["message"], "message_en": first["message_en"]}  # fmt: skip
            return JSONResponse(body, status_code=status_code, headers=NO_STORE)
        return await relay(
            parts, "POST", "/api/v1/kiosk/elderly/registrations", json={"data": filled}
        )

    return [
        Route("/kiosk/api/elderly/status", status, methods=["GET"]),
        Route("/kiosk/api/elderly/form", form, methods=["GET"]),
        Route("/kiosk/api/elderly/check", check_or_register, methods=["POST"]),
        Route("/kiosk/api/elderly/register", check_or_register, methods=["POST"]),
        *elderly_cert.routes(parts),
    ]
