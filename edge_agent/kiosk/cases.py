"""Case progress (办件查询) on the kiosk: ``POST /kiosk/api/cases/lookup`` and ``POST
/kiosk/api/cases/{case_no}/print``, relayed to the cloud's kiosk-service API.

The citizen's ID number comes from the card read at this kiosk (``{"source": "card"}``: the
session's ``idcard``, never sent by the browser) or is typed (``{"id_number"}``: checked with
the GB 11643 check digit here first, so a typo is answered at once, even offline); or a case
number is typed (``{"case_no"}``). Nothing is kept: the browser shows the answer, and the idle
timeout clears it.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import error, relay
from protocols.idcard.text import id_number_problem

CASE_NO = re.compile(r"^[A-Za-z0-9-]{6,40}$")
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
#: the cloud bounds the platform's answer (KFLEET_CITY_PLATFORM_TIMEOUT_S, 5 s by default)
TIMEOUT_S = 15.0


def _bad_id(value: str) -> Response | None:
    why = id_number_problem(value)
    return None if why is None else error(422, "id_number_invalid", *why)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _page(body: dict[str, Any]) -> int:
    page = body.get("page", 1)
    return page if isinstance(page, int) and not isinstance(page, bool) and 1 <= page <= 100 else 1


def _payload(parts: KioskParts, body: dict[str, Any]) -> dict[str, Any] | Response:
    """What the cloud is asked, or the answer that stops here."""
    if body.get("source") == "card":
        card = parts.session.get("idcard")
        if not isinstance(card, dict) or not card.get("id_number"):
            return error(
                409,
                "no_card",
                "请先将身份证放在读卡区读取，或输入身份证号码。",
                "Please read your ID card first, or type your ID number.",
            )
        return {"id_number": str(card["id_number"]), "page": _page(body)}
    typed = body.get("id_number")
    if isinstance(typed, str) and typed:
        return _bad_id(typed) or {"id_number": typed.strip().upper(), "page": _page(body)}
    case_no = body.get("case_no")
    if isinstance(case_no, str) and CASE_NO.match(case_no.strip()):
        return {"case_no": case_no.strip().upper()}
    return error(
        422,
        "lookup_needs_one",
        "请读取身份证、输入身份证号码，或输入受理回执上的办件编号（6 至 40 位字母或数字）。",
        "Read your ID card, type your ID number, or type the case number on your receipt.",
    )


def routes(parts: KioskParts) -> list[BaseRoute]:
    async def lookup(request: Request) -> Response:
        payload = _payload(parts, await _body(request))
        if isinstance(payload, Response):
            return payload
        return await relay(
            parts, "POST", "/api/v1/kiosk/cases/lookup", json=payload, timeout_s=TIMEOUT_S
        )

    async def print_case(request: Request) -> Response:
        case_no = request.path_params["case_no"]
        if not CASE_NO.match(case_no):
            return error(
                404, "case_not_found", "办件编号不正确。", "This case number is not valid."
            )
        request_id = (await _body(request)).get("request_id")
        body = {"request_id": request_id} if isinstance(request_id, str) else {}
        if "request_id" in body and not REQUEST_ID.match(body["request_id"]):
            body = {}
        path = f"/api/v1/kiosk/cases/{case_no.upper()}/print"
        return await relay(parts, "POST", path, json=body, timeout_s=TIMEOUT_S)

    return [
        Route("/kiosk/api/cases/lookup", lookup, methods=["POST"]),
        Route("/kiosk/api/cases/{case_no}/print", print_case, methods=["POST"]),
    ]
