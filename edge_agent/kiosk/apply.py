"""Self-service application (自助申报) on the kiosk: ``/kiosk/api/apply/...``.

The citizen reads the ID card, chooses an item of the catalogue the kiosk holds, answers its
situations (``protocols.guide_situation``, the cloud's very rule), scans each material with
this kiosk's 高拍仪 (rectified and cropped by the driver; a blank page is refused and asked
again; each page shown to accept or retake; several pages per material), fills the item's
e-form (the definition from the cloud, checked here with the one validation), reviews, and
submits: the agent uploads the pages with the device's credentials and files the application
(:mod:`edge_agent.kiosk.apply_submit`). The draft survives a restart until the idle timeout
would have cleared it (:mod:`edge_agent.kiosk.apply_store`).

- ``GET  items?q=``                   items that ask for materials, best first
- ``GET  draft``                      the application so far (or ``{"draft": null}``)
- ``POST start``  ``{item}``          a new application for the card read (409 ``no_card``)
- ``PUT  answers`` ``{answers}``      the situation → questions and the material list
- ``POST materials/{code}/scan``      scan one page: 201 a page to accept, 422 ``blank_page``
- ``POST materials/{code}/pages/{id}/accept``, ``DELETE materials/{code}/pages/{id}``
- ``GET  pages/{id}.jpg``             a page for the screen
- ``GET  form``, ``PUT form`` ``{data}``  the e-form and what was typed (422 ``form_invalid``)
- ``POST submit``                     file it; the receipt prints; the draft is deleted
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.drivers.video import VideoError
from edge_agent.kiosk import apply_submit
from edge_agent.kiosk.apply_store import Draft, DraftStore
from edge_agent.kiosk.guide import guide_of
from edge_agent.kiosk.guide_index import count_and_search
from edge_agent.kiosk.guide_views import BadAnswers, parse_answers, search_row
from edge_agent.kiosk.idcard import SESSION_KEY, masked_card
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error
from protocols.guide import Item
from protocols.guide_situation import applicable

log = logging.getLogger(__name__)

PREFIX = "/kiosk/api/apply"
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
#: a scan (capture, find the page, rectify, encode) on a loaded kiosk takes a few seconds
SCAN_TIMEOUT_S = 30.0
MAX_PAGES = 20
NO_DRAFT = (
    "没有正在办理的申报，请重新开始。",
    "There is no application in progress: please start again.",
)
NO_CARD = ("请先读取身份证。", "Please read your ID card first.")
BLANK = (
    "这一页是空白的，请将有内容的一面朝上放好，再扫描一次。",
    "This page is blank: lay it with the printed side up and scan it again.",
)
NO_CAMERA = (
    "本机高拍仪暂时无法使用，请到窗口办理。",
    "This kiosk's document camera is not available: please go to a window.",
)


def store_of(parts: KioskParts) -> DraftStore:
    """The kiosk's one draft store (the session's clear deletes the draft)."""
    store = parts.state.get("apply_store")
    if not isinstance(store, DraftStore):
        kiosk = parts.view.config.kiosk
        keep = kiosk.idle_warn_s + kiosk.idle_clear_s if kiosk is not None else 80.0
        store = DraftStore(Path(parts.view.config.data_dir) / "kiosk" / "apply", keep)
        parts.state["apply_store"] = store
        parts.session.on_clear(store.forget)
        store.load()  # at start: an expired draft is deleted now
    return store


def draft_view(parts: KioskParts, draft: Draft, item: Item | None) -> dict[str, Any]:
    """What the screen shows: the situation, each material's pages, the masked card."""
    view: dict[str, Any] = {
        "item": draft.item,
        "answers": draft.answers,
        "pages": draft.pages,
        "pending": list(draft.pending) if draft.pending else None,
        "form": draft.form,
        "form_data": draft.form_data,
        "card": masked_card(draft.card),
        "rescan": draft.rescan,
    }
    if item is not None:
        a = applicable(item, draft.answers)
        view |= {
            "item_name": item.name,
            "item_name_en": item.name_en,
            "questions": [q.model_dump(mode="json") for q in a.questions],
            "unanswered": a.unanswered,
            "materials": [m.model_dump(mode="json") for m in a.materials],
        }
    return {"draft": view}


class _ApplyApi:
    def __init__(self, parts: KioskParts) -> None:
        self.parts = parts
        self.store = store_of(parts)
        self._scanning = asyncio.Lock()

    async def _item(self, code: str) -> Item | None:
        index = await guide_of(self.parts).current()
        return index.by_code.get(code) if index is not None else None

    async def _draft(self) -> Draft | Response:
        draft = self.store.load()
        if draft is None:
            return error(409, "no_application", *NO_DRAFT)
        if self.parts.session.get(SESSION_KEY) is None:  # after a restart: the card comes back
            self.parts.session.put(SESSION_KEY, draft.card)
        return draft

    async def _answer(self, draft: Draft, status: int = 200) -> Response:
        view = draft_view(self.parts, draft, await self._item(draft.item))
        return JSONResponse(view, status_code=status, headers=NO_STORE)

    async def items(self, request: Request) -> Response:
        index = await guide_of(self.parts).current()
        if index is None:
            return JSONResponse({"ready": False, "items": []}, headers=NO_STORE)
        site = self.parts.view.config.site
        query = request.query_params.get("q", "")[:40]
        _, hits = count_and_search(index, query, site=site, limit=200)
        rows = [search_row(index, h) for h in hits if h.here and h.entry.item.materials][:30]
        return JSONResponse({"ready": True, "items": rows}, headers=NO_STORE)

    async def get_draft(self, request: Request) -> Response:
        draft = self.store.load()
        if draft is None:
            return JSONResponse({"draft": None}, headers=NO_STORE)
        self.store.save(draft)  # the citizen is still at it
        return await self._answer(draft)

    async def start(self, request: Request) -> Response:
        body = await _json(request)
        code = body.get("item")
        item = await self._item(code) if isinstance(code, str) and _CODE.match(code) else None
        if item is None or not item.materials:
            return error(404, "item_unknown", "没有找到这个事项。", "This service was not found.")
        card = self.parts.session.get(SESSION_KEY)
        if not isinstance(card, dict) or not card.get("id_number"):
            return error(409, "no_card", *NO_CARD)
        self.store.forget()  # one application at a time: a new start drops the old one
        draft = Draft(item=item.code, card=dict(card))
        self.store.save(draft)
        log.info("kiosk apply: started item %s", item.code)
        return await self._answer(draft, 201)

    async def answers(self, request: Request) -> Response:
        draft = await self._draft()
        if isinstance(draft, Response):
            return draft
        try:
            draft.answers = parse_answers(await _json(request))
        except BadAnswers as err:
            return error(422, "bad_answers", "所选情形无效，请重新选择。", str(err))
        draft.form = None  # the situation decides the form: fetched again
        self.store.save(draft)
        return await self._answer(draft)

    async def scan(self, request: Request) -> Response:
        draft = await self._draft()
        if isinstance(draft, Response):
            return draft
        code = request.path_params["code"]
        if code not in await self._material_codes(draft):
            return error(404, "material_unknown", "该材料不在清单中。", "Not on the list.")
        if len(draft.pages.get(code, [])) >= MAX_PAGES:
            return error(409, "too_many_pages", "每份材料最多 20 页。", "At most 20 pages.")
        camera = self.parts.peripheral("doc_camera")
        if camera is None or not hasattr(camera, "scan"):
            return error(503, "no_doc_camera", *NO_CAMERA)
        if self._scanning.locked():
            return error(409, "scan_busy", "正在扫描，请稍候。", "Scanning: please wait.")
        async with self._scanning:
            try:
                async with asyncio.timeout(SCAN_TIMEOUT_S):
                    result = await camera.scan()
            except TimeoutError:
                log.warning("kiosk apply: no scan within %g s", SCAN_TIMEOUT_S)
                return error(503, "scan_failed", *NO_CAMERA)
            except VideoError as err:  # the camera's own sentence is for the technician
                log.warning("kiosk apply: scan failed (%s): %s", err.reason, err)
                return error(503, "scan_failed", *NO_CAMERA)
        from edge_agent.kiosk.apply_blank import is_blank  # OpenCV: only once a page is scanned

        if await asyncio.to_thread(is_blank, result.jpeg):
            log.info("kiosk apply: a blank page was refused (material %s)", code)
            return error(422, "blank_page", *BLANK)
        if draft.pending is not None:
            self.store.drop_page(draft.pending[1])
        page_id = self.store.add_page(result.jpeg)
        draft.pending = (code, page_id)
        self.store.save(draft)
        return JSONResponse(
            {
                "page": page_id,
                "material": code,
                "width": result.width,
                "height": result.height,
                "page_found": result.page_found,
            },
            status_code=201,
            headers=NO_STORE,
        )

    async def accept(self, request: Request) -> Response:
        draft = await self._draft()
        if isinstance(draft, Response):
            return draft
        code, page = request.path_params["code"], request.path_params["page"]
        if draft.pending != (code, page):
            return error(404, "page_unknown", "这一页已不在，请重新扫描。", "Scan it again.")
        if draft.rescan.pop(code, None) is not None:  # a help-call operator asked for it
            for old in draft.pages.pop(code, []):
                self.store.drop_page(old)
        draft.pages.setdefault(code, []).append(page)
        draft.pending = None
        self.store.save(draft)
        return await self._answer(draft)

    async def drop(self, request: Request) -> Response:
        draft = await self._draft()
        if isinstance(draft, Response):
            return draft
        code, page = request.path_params["code"], request.path_params["page"]
        if draft.pending == (code, page):
            draft.pending = None
        elif page in draft.pages.get(code, []):
            draft.pages[code].remove(page)
            if not draft.pages[code]:
                del draft.pages[code]
        else:
            return error(404, "page_unknown", "这一页已不在。", "This page is gone.")
        self.store.drop_page(page)
        self.store.save(draft)
        return await self._answer(draft)

    async def page(self, request: Request) -> Response:
        draft = self.store.load()
        page = request.path_params["page"]
        known = draft is not None and (
            (draft.pending is not None and draft.pending[1] == page)
            or any(page in pages for pages in draft.pages.values())
        )
        data = self.store.read_page(page) if known else None
        if data is None:
            return Response(status_code=404, headers=NO_STORE)
        return Response(data, media_type="image/jpeg", headers=NO_STORE)

    async def _material_codes(self, draft: Draft) -> set[str]:
        item = await self._item(draft.item)
        return {m.code for m in applicable(item, draft.answers).materials} if item else set()

    async def form(self, request: Request) -> Response:
        draft = await self._draft()
        if isinstance(draft, Response):
            return draft
        return await apply_submit.fetch_form(self.parts, self.store, draft)

    async def put_form(self, request: Request) -> Response:
        draft = await self._draft()
        if isinstance(draft, Response):
            return draft
        return apply_submit.save_form(self.store, draft, await _json(request))

    async def submit(self, request: Request) -> Response:
        draft = await self._draft()
        if isinstance(draft, Response):
            return draft
        return await apply_submit.submit(self.parts, self.store, draft)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def routes(parts: KioskParts) -> list[BaseRoute]:
    api = _ApplyApi(parts)
    material = PREFIX + "/materials/{code}"
    return [
        Route(f"{PREFIX}/items", api.items, methods=["GET"]),
        Route(f"{PREFIX}/draft", api.get_draft, methods=["GET"]),
        Route(f"{PREFIX}/start", api.start, methods=["POST"]),
        Route(f"{PREFIX}/answers", api.answers, methods=["PUT"]),
        Route(f"{material}/scan", api.scan, methods=["POST"]),
        Route(material + "/pages/{page}/accept", api.accept, methods=["POST"]),
        Route(material + "/pages/{page}", api.drop, methods=["DELETE"]),
        Route(PREFIX + "/pages/{page}.jpg", api.page, methods=["GET"]),
        Route(f"{PREFIX}/form", api.form, methods=["GET"]),
        Route(f"{PREFIX}/form", api.put_form, methods=["PUT"]),
        Route(f"{PREFIX}/submit", api.submit, methods=["POST"]),
    ]
