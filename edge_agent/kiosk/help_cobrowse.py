"""Remote operation and material review during a help call, the kiosk's side
(docs/help-cobrowse.md): ``/kiosk/api/help/cobrowse/{call_id}/...`` relayed to the cloud's
``/api/v1/kiosk/help/calls/{call_id}/...`` with the device's credentials.

- ``PUT  screen``                        the screen's sanitised copy (``kiosk.cobrowse.js``)
- ``GET  actions?after=&wait_s=``        the consent asks and the operator's actions
- ``POST control`` ``{state}``           同意 / 拒绝 / 收回控制
- ``POST materials``                     the current 自助申报's accepted pages: each uploaded
  as an apply page, then listed for the operator (material code, name, page sha256s)
- ``GET  materials/decisions?after=&wait_s=``  the operator's decisions; a ``rescan`` is kept
  in the application so its material step shows 工作人员请您重新扫描：<note>
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk.apply import store_of
from edge_agent.kiosk.apply_submit import upload_page
from edge_agent.kiosk.guide import guide_of
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error, relay
from protocols.guide_situation import applicable

PREFIX = "/kiosk/api/help/cobrowse/{call_id}"
CLOUD = "/api/v1/kiosk/help/calls/{call_id}"
_CALL_ID = re.compile(r"^hc-[0-9a-f]{24}$")
#: a long-poll waits at most this long at the cloud; the relay allows a little more
MAX_WAIT_S = 20.0
BAD_CALL = ("没有这个视频帮办通话。", "There is no such video help call.")


def _poll_params(request: Request) -> dict[str, Any]:
    def number(name: str, high: float) -> float:
        try:
            return min(max(float(request.query_params.get(name, "0")), 0.0), high)
        except ValueError:
            return 0.0

    return {"after": int(number("after", 2**31)), "wait_s": number("wait_s", MAX_WAIT_S)}


class _Cobrowse:
    def __init__(self, parts: KioskParts) -> None:
        self.parts = parts

    def _path(self, request: Request, tail: str) -> str | None:
        call_id = request.path_params["call_id"]
        return CLOUD.format(call_id=call_id) + tail if _CALL_ID.match(call_id) else None

    async def _json(self, request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    async def screen(self, request: Request) -> Response:
        path = self._path(request, "/screen")
        if path is None:
            return error(404, "call_unknown", *BAD_CALL)
        return await relay(self.parts, "PUT", path, json=await self._json(request), timeout_s=10)

    async def actions(self, request: Request) -> Response:
        path = self._path(request, "/actions")
        if path is None:
            return error(404, "call_unknown", *BAD_CALL)
        params = _poll_params(request)
        return await relay(self.parts, "GET", path, params=params, timeout_s=params["wait_s"] + 10)

    async def control(self, request: Request) -> Response:
        path = self._path(request, "/control")
        if path is None:
            return error(404, "call_unknown", *BAD_CALL)
        return await relay(self.parts, "POST", path, json=await self._json(request), timeout_s=10)

    async def materials(self, request: Request) -> Response:
        """List the application's accepted pages for the operator (each uploaded first)."""
        path = self._path(request, "/materials")
        if path is None:
            return error(404, "call_unknown", *BAD_CALL)
        rows = await self._material_rows()
        if isinstance(rows, Response):
            return rows
        return await relay(self.parts, "PUT", path, json={"materials": rows}, timeout_s=15)

    async def _material_rows(self) -> list[dict[str, Any]] | Response:
        store = store_of(self.parts)
        draft = store.load()
        if draft is None:
            return []
        index = await guide_of(self.parts).current()
        item = index.by_code.get(draft.item) if index is not None else None
        names = {m.code: m.name for m in applicable(item, draft.answers).materials} if item else {}
        uploaded: dict[str, str] = self.parts.state.setdefault("cobrowse_uploaded", {})
        rows = []
        for code, pages in draft.pages.items():
            shas = []
            for page_id in pages:
                if page_id not in uploaded:
                    got = await upload_page(self.parts, store, page_id)
                    if isinstance(got, Response):
                        return got
                    uploaded[page_id] = got
                shas.append(uploaded[page_id])
            rows.append({"material_id": code, "name": names.get(code, code), "pages": shas})
        return rows

    async def decisions(self, request: Request) -> Response:
        """The operator's decisions; rescan notes are kept in the application."""
        path = self._path(request, "/materials/decisions")
        if path is None:
            return error(404, "call_unknown", *BAD_CALL)
        params = _poll_params(request)
        answer = await relay(
            self.parts, "GET", path, params=params, timeout_s=params["wait_s"] + 10
        )
        if answer.status_code != 200:
            return answer
        body = json.loads(bytes(answer.body))
        store = store_of(self.parts)
        draft = store.load()
        if draft is not None:
            uploaded: dict[str, str] = self.parts.state.get("cobrowse_uploaded", {})

            def current(code: str) -> list[str | None]:
                return [uploaded.get(p) for p in draft.pages.get(code, [])]

            # a decision about pages the citizen has already rescanned is stale: ignored
            draft.rescan = {
                d["material_id"]: d["note"]
                for d in body.get("decisions", [])
                if d.get("state") == "rescan" and d.get("pages") == current(d["material_id"])
            }
            store.save(draft)
        return JSONResponse(body, headers=NO_STORE)


def routes(parts: KioskParts) -> list[BaseRoute]:
    api = _Cobrowse(parts)
    parts.session.on_clear(lambda: parts.state.pop("cobrowse_uploaded", None))
    return [
        Route(f"{PREFIX}/screen", api.screen, methods=["PUT"]),
        Route(f"{PREFIX}/actions", api.actions, methods=["GET"]),
        Route(f"{PREFIX}/control", api.control, methods=["POST"]),
        Route(f"{PREFIX}/materials", api.materials, methods=["POST"]),
        Route(f"{PREFIX}/materials/decisions", api.decisions, methods=["GET"]),
    ]
