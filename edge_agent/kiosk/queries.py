"""The convenience queries on the kiosk (``/kiosk/api/queries/...``) and the citizen's identity
check (``/kiosk/api/identity/...``), relayed to the cloud with the device's credentials.

The person stays on the agent: the ID card read (session key ``idcard``, put there by the
shell's card read), the one-time code's id and the identity token live in the session and are
added to the relayed bodies here; the browser sees only the masked phone, whether the citizen
is verified, and masked results. The session's clear (idle, 退出) forgets all of it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error, relay

OTP_KEY = "queries.otp_id"
IDENTITY_KEY = "queries.identity"
_CODE = re.compile(r"^[a-z][a-z0-9_]{2,47}$")
_NO_CARD = (
    "请先将身份证放在读卡区读取身份证。",
    "Please place your ID card on the reader first.",
)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _card(parts: KioskParts) -> dict[str, str] | None:
    card = parts.session.get("idcard")
    if not isinstance(card, dict) or not card.get("id_number") or not card.get("name"):
        return None
    return {"id_number": str(card["id_number"]), "name": str(card["name"])}


def _query_body(parts: KioskParts, body: dict[str, Any]) -> dict[str, Any]:
    inputs = body.get("inputs") if isinstance(body.get("inputs"), dict) else {}
    page = body.get("page") if isinstance(body.get("page"), int) else 1
    out: dict[str, Any] = {"inputs": inputs, "page": page}
    identity, card = parts.session.get(IDENTITY_KEY), _card(parts)
    if isinstance(identity, dict) and card is not None:
        out.update(identity_token=identity["token"], **card)
    return out


def routes(parts: KioskParts) -> list[BaseRoute]:
    async def list_queries(request: Request) -> Response:
        return await relay(parts, "GET", "/api/v1/kiosk/queries")

    async def ask(request: Request) -> Response:
        code = request.path_params["code"]
        if not _CODE.match(code):
            return error(404, "unknown_query", "没有这项查询。", "There is no such query.")
        suffix = "/print" if request.url.path.endswith("/print") else ""
        body = _query_body(parts, await _body(request))
        return await relay(parts, "POST", f"/api/v1/kiosk/queries/{code}{suffix}", json=body)

    async def send_code(request: Request) -> Response:
        card = _card(parts)
        if card is None:
            return error(409, "no_card", *_NO_CARD)
        parts.session.pop(IDENTITY_KEY)
        r = await relay(parts, "POST", "/api/v1/kiosk/identity/otp", json=card)
        if r.status_code != 201:
            return r
        sent = json.loads(bytes(r.body))
        parts.session.put(OTP_KEY, sent["otp_id"])
        out = {"phone_masked": sent["phone_masked"], "expires_at": sent["expires_at"]}
        return JSONResponse(out, status_code=201, headers=NO_STORE)

    async def verify(request: Request) -> Response:
        otp_id = parts.session.get(OTP_KEY)
        if not otp_id or _card(parts) is None:
            return error(409, "no_code", "请先获取验证码。", "Please ask for a code first.")
        code = str((await _body(request)).get("code", ""))
        body = {"otp_id": otp_id, "code": code}
        r = await relay(parts, "POST", "/api/v1/kiosk/identity/verify", json=body)
        if r.status_code != 200:
            return r
        grant = json.loads(bytes(r.body))
        parts.session.put(IDENTITY_KEY, {"token": grant["identity_token"]})
        parts.session.pop(OTP_KEY)
        out = {"verified": True, "expires_at": grant["expires_at"]}
        return JSONResponse(out, headers=NO_STORE)

    async def identity(request: Request) -> Response:
        verified = isinstance(parts.session.get(IDENTITY_KEY), dict)
        body = {"card": _card(parts) is not None, "verified": verified}
        return JSONResponse(body, headers=NO_STORE)

    return [
        Route("/kiosk/api/queries", list_queries, methods=["GET"]),
        Route("/kiosk/api/queries/{code}", ask, methods=["POST"]),
        Route("/kiosk/api/queries/{code}/print", ask, methods=["POST"]),
        Route("/kiosk/api/identity", identity, methods=["GET"]),
        Route("/kiosk/api/identity/otp", send_code, methods=["POST"]),
        Route("/kiosk/api/identity/verify", verify, methods=["POST"]),
    ]
