"""Certificates (证明开具), the citizen's licences (我的电子证照) and 社会保障卡挂失/解挂 on the
kiosk (``/kiosk/api/certificates/...``, ``/kiosk/api/licences``, ``/kiosk/api/social-card...``),
relayed to the cloud with the device's credentials.

The citizen proves who they are with the identity check the convenience queries use
(``/kiosk/api/identity/...`` in :mod:`edge_agent.kiosk.queries`): the card read and the
identity token stay in the agent's session and are added to the relayed bodies here; the
browser sends only the kind, the page and its request id, and sees masked answers. Without a
verified identity the answer is 403 ``identity_required`` and the screen runs the check.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.queries import IDENTITY_KEY, _body, _card
from edge_agent.kiosk.relay import error, relay

_KIND = re.compile(r"^[a-z][a-z0-9_]{2,31}$")
_REQUEST = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
_NO_IDENTITY = (
    "请先刷身份证并输入手机验证码。",
    "Please read your ID card and type the code sent to your phone first.",
)


def _who(parts: KioskParts) -> dict[str, Any] | None:
    identity, card = parts.session.get(IDENTITY_KEY), _card(parts)
    if not isinstance(identity, dict) or card is None:
        return None
    return {"identity_token": identity["token"], **card}


def _request_id(body: dict[str, Any]) -> str | None:
    rid = body.get("request_id")
    return rid if isinstance(rid, str) and _REQUEST.match(rid) else None


def routes(parts: KioskParts) -> list[BaseRoute]:
    async def as_citizen(path: str, extra: dict[str, Any] | None = None) -> Response:
        who = _who(parts)
        if who is None:
            return error(403, "identity_required", *_NO_IDENTITY)
        return await relay(parts, "POST", path, json={**who, **(extra or {})})

    async def list_certificates(request: Request) -> Response:
        return await relay(parts, "GET", "/api/v1/kiosk/certificates")

    async def certificate(request: Request) -> Response:
        kind = request.path_params["kind"]
        if not _KIND.match(kind):
            return error(404, "unknown_certificate", "没有这项证明。", "No such certificate.")
        if not request.url.path.endswith("/print"):
            return await as_citizen(f"/api/v1/kiosk/certificates/{kind}")
        rid = _request_id(await _body(request))
        if rid is None:
            return error(422, "request_id_missing", "请重新点击打印。", "Please press print again.")
        path = f"/api/v1/kiosk/certificates/{kind}/print"
        return await as_citizen(path, {"request_id": rid})

    async def licences(request: Request) -> Response:
        page = (await _body(request)).get("page")
        return await as_citizen(
            "/api/v1/kiosk/licences", {"page": page if isinstance(page, int) else 1}
        )

    async def card_status(request: Request) -> Response:
        return await as_citizen("/api/v1/kiosk/social-card")

    async def card_change(request: Request) -> Response:
        action = request.path_params["action"]
        rid = _request_id(await _body(request))
        if action not in ("loss", "unloss") or rid is None:
            return error(422, "bad_request", "请返回重新操作。", "Please go back and try again.")
        return await as_citizen(f"/api/v1/kiosk/social-card/{action}", {"request_id": rid})

    return [
        Route("/kiosk/api/certificates", list_certificates, methods=["GET"]),
        Route("/kiosk/api/certificates/{kind}", certificate, methods=["POST"]),
        Route("/kiosk/api/certificates/{kind}/print", certificate, methods=["POST"]),
        Route("/kiosk/api/licences", licences, methods=["POST"]),
        Route("/kiosk/api/social-card", card_status, methods=["POST"]),
        Route("/kiosk/api/social-card/{action}", card_change, methods=["POST"]),
    ]
