"""``/kiosk/api/appointments/...``: the kiosk's appointment screens talk to these; each passes
the call on to the cloud (``/api/v1/kiosk/appointments``) with the device's credentials.

The person comes from the ID card read in this session (``session["idcard"]``, put there by
the shell's card reader route): the browser never sends an ID number, and a call that needs
the person without a card read answers 409 ``card_needed`` (the screen asks for the card).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import error, relay

CLOUD = "/api/v1/kiosk/appointments"
_REF = re.compile(r"^Y[0-9]{6}-[0-9]{4}$")
_SERVICE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _card(parts: KioskParts) -> dict[str, Any] | None:
    card = parts.session.get("idcard")
    return card if isinstance(card, dict) and card.get("id_number") else None


def _card_needed() -> Response:
    return error(
        409, "card_needed", "请先刷身份证。", "Please place your ID card on the reader first."
    )


async def _body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def routes(parts: KioskParts) -> list[BaseRoute]:
    async def slots(request: Request) -> Response:
        params = {
            k: v
            for k, v, pattern in (
                ("service", request.query_params.get("service", ""), _SERVICE),
                ("date", request.query_params.get("date", ""), _DATE),
            )
            if v and pattern.fullmatch(v)
        }
        return await relay(parts, "GET", f"{CLOUD}/slots", params=params)

    async def book(request: Request) -> Response:
        card, body = _card(parts), await _body(request)
        if card is None:
            return _card_needed()
        if body is None:
            return error(
                400, "bad_request", "请求无效，请重试。", "Invalid request; please try again."
            )
        payload = {
            "service": body.get("service"),
            "slot_id": body.get("slot_id"),
            "phone": body.get("phone"),
            "id_number": card["id_number"],
            "name": card.get("name") or "",
        }
        return await relay(parts, "POST", CLOUD, json=payload)

    async def mine(request: Request) -> Response:
        card = _card(parts)
        if card is None:
            return _card_needed()
        # POST: the ID number stays out of URLs (and so out of HTTP clients' request logs)
        return await relay(parts, "POST", f"{CLOUD}/mine", json={"id_number": card["id_number"]})

    async def act(request: Request) -> Response:
        ref, what = request.path_params["ref"], request.path_params["what"]
        if not _REF.fullmatch(ref) or what not in ("cancel", "check-in"):
            return error(404, "not_found", "没有找到该预约。", "No such appointment.")
        card = _card(parts)
        if card is None:
            return _card_needed()
        path = f"{CLOUD}/{ref}/{what}"
        return await relay(parts, "POST", path, json={"id_number": card["id_number"]})

    return [
        Route("/kiosk/api/appointments/slots", slots, methods=["GET"]),
        Route("/kiosk/api/appointments", book, methods=["POST"]),
        Route("/kiosk/api/appointments/mine", mine, methods=["GET"]),
        Route("/kiosk/api/appointments/{ref}/{what}", act, methods=["POST"]),
    ]
