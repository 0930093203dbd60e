"""A stand-in for the shell's ``POST /kiosk/api/idcard/read`` until that branch is merged: it
puts a fixed card into the kiosk's session as the real route does and answers the masked card.
Installed only when ``edge_agent.kiosk.idcard`` (the real route) does not exist."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk import features
from edge_agent.kiosk.parts import KioskParts
from protocols.idcard.text import id_check_digit, mask_id_number, mask_name

CARD = {
    "id_number": "63280119900101013" + id_check_digit("63280119900101013"),
    "name": "王小明",
    "sex": "男",
    "birth": "1990-01-01",
    "address": "青海省格尔木市黄河路1号",
    "read_at": "2026-12-06T00:00:00+00:00",
}


def _standin(parts: KioskParts) -> list[BaseRoute]:
    async def read(request: Request) -> Response:
        parts.session.put("idcard", dict(CARD))
        masked = {"id_number": mask_id_number(CARD["id_number"]), "name": mask_name(CARD["name"])}
        return JSONResponse(masked)

    return [Route("/kiosk/api/idcard/read", read, methods=["POST"])]


@contextlib.contextmanager
def card_reader_route() -> Iterator[None]:
    if importlib.util.find_spec("edge_agent.kiosk.idcard") is not None:
        yield  # the shell's real route reads the ID-card simulator
        return
    features.FEATURES.append(_standin)
    try:
        yield
    finally:
        features.FEATURES.remove(_standin)
