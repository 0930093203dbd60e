"""The service guide (办事指南) feature: ``/kiosk/api/guide/...``, answered offline from the
catalogue the kiosk holds (:mod:`edge_agent.kiosk.guide_catalogue`), except printing, which
the cloud does (the A4 guide as a PDF on this kiosk's printer).

- ``GET  info`` — the catalogue held (version, sample, departments, themes) or ``ready: false``
- ``GET  search?q=&object=&theme=&department=&limit=`` — ranked rows (``guide_index``)
- ``GET  items/{code}`` — the item (no review points), its windows at this site, its public page
- ``GET  items/{code}/qr.svg?question=option...`` — the QR code of the item's public page
  (``/g/{code}`` with the answers so far)
- ``POST items/{code}/situation`` ``{answers}`` — the questions shown and what applies
- ``POST items/{code}/print`` ``{answers}`` — relayed to ``/api/v1/kiosk/guide/{code}/print``
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk.guide_catalogue import GuideCatalogue
from edge_agent.kiosk.guide_index import GuideIndex, count_and_search
from edge_agent.kiosk.guide_pull import CataloguePull
from edge_agent.kiosk.guide_views import (
    BadAnswers,
    catalogue_info,
    item_view,
    parse_answers,
    qr_svg,
    search_row,
    situation_view,
)
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error, relay
from protocols.guide import CODE_RE, Item

PREFIX = "/kiosk/api/guide"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
MAX_QUERY = 100
_CODE = re.compile(CODE_RE)
NOT_READY = (
    "服务指南正在下载，暂时无法查看，请稍后再试或咨询工作人员。",
    "The service guide is still being downloaded. Please try again shortly or ask the staff.",
)
UNKNOWN = (
    "没有找到这个事项，请返回重新搜索。",
    "This service was not found. Please go back and search again.",
)


def guide_of(parts: KioskParts) -> GuideCatalogue:
    """The kiosk's catalogue (one per agent, made on first use)."""
    guide = parts.state.get("guide")
    if not isinstance(guide, GuideCatalogue):
        guide = GuideCatalogue(parts.hall, Path(parts.view.config.data_dir))
        parts.state["guide"] = guide
    return guide


def pull_of(parts: KioskParts) -> CataloguePull:
    """The kiosk's pull of the catalogue from the cloud when it holds none."""
    pull = parts.state.get("guide_pull")
    if not isinstance(pull, CataloguePull):
        pull = CataloguePull(parts)
        parts.state["guide_pull"] = pull
    return pull


def routes(parts: KioskParts) -> list[BaseRoute]:
    api = _GuideApi(parts)
    return [
        Route(f"{PREFIX}/info", api.info, methods=["GET"]),
        Route(f"{PREFIX}/search", api.find, methods=["GET"]),
        Route(f"{PREFIX}/items/{{code}}", api.item, methods=["GET"]),
        Route(f"{PREFIX}/items/{{code}}/qr.svg", api.qr, methods=["GET"]),
        Route(f"{PREFIX}/items/{{code}}/situation", api.situation, methods=["POST"]),
        Route(f"{PREFIX}/items/{{code}}/print", api.print_guide, methods=["POST"]),
    ]


class _GuideApi:
    def __init__(self, parts: KioskParts) -> None:
        self.parts = parts
        self.guide = guide_of(parts)
        self.pull = pull_of(parts)
        self.site = parts.view.config.site

    async def _index(self) -> GuideIndex | None:
        """The index held; none held, the cloud is asked for the catalogue (background)."""
        index = await self.guide.current()
        if index is None:
            self.pull.maybe()
        return index

    async def info(self, request: Request) -> Response:
        return JSONResponse(catalogue_info(await self._index()), headers=NO_STORE)

    async def find(self, request: Request) -> Response:
        p = request.query_params
        try:
            limit = min(MAX_LIMIT, max(1, int(p.get("limit", DEFAULT_LIMIT))))
        except ValueError:
            return error(422, "bad_limit", "limit 必须是数字", "limit must be a number")
        index = await self._index()
        body = catalogue_info(index)
        if index is None:
            return JSONResponse({**body, "total": 0, "items": []}, headers=NO_STORE)
        total, hits = count_and_search(
            index,
            p.get("q", "")[:MAX_QUERY],
            site=self.site,
            object=p.get("object", ""),
            theme=p.get("theme", ""),
            department=p.get("department", ""),
            limit=limit,
        )
        rows = [search_row(index, h) for h in hits]
        keep = ("ready", "version", "sample", "published_at")
        out = {k: body[k] for k in keep} | {"total": total, "items": rows}
        return JSONResponse(out, headers=NO_STORE)

    async def item(self, request: Request) -> Response:
        index = await self._index()
        found = _item(index, request)
        if isinstance(found, Response):
            return found
        assert index is not None  # _item found the item in it
        url = public_url(self.parts, found.code)
        return JSONResponse(item_view(index, found, self.site, url), headers=NO_STORE)

    async def qr(self, request: Request) -> Response:
        found = _item(await self._index(), request)
        if isinstance(found, Response):
            return found
        try:  # the situation answered so far rides along: the phone shows the same list
            answers = parse_answers({"answers": dict(request.query_params)})
        except BadAnswers as err:
            return _bad_answers(err)
        svg = qr_svg(public_url(self.parts, found.code, answers))
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})

    async def situation(self, request: Request) -> Response:
        found = _item(await self._index(), request)
        if isinstance(found, Response):
            return found
        answers = await _answers(request)
        if isinstance(answers, Response):
            return answers
        return JSONResponse(situation_view(found, answers), headers=NO_STORE)

    async def print_guide(self, request: Request) -> Response:
        code = request.path_params["code"]
        if not _CODE.match(code):
            return error(404, "guide_item_unknown", *UNKNOWN)
        answers = await _answers(request)
        if isinstance(answers, Response):
            return answers
        path = f"/api/v1/kiosk/guide/{code}/print"
        return await relay(self.parts, "POST", path, json={"answers": answers})


def public_url(parts: KioskParts, code: str, answers: Mapping[str, str] | None = None) -> str:
    """The item's public page on the cloud (``GET /g/{code}?question=option...``, the cloud's
    ``page_path``), for a citizen's phone."""
    cloud = parts.view.config.cloud
    base = cloud.url.rstrip("/") if cloud is not None else ""
    query = "&".join(f"{quote(q)}={quote(o)}" for q, o in (answers or {}).items())
    return f"{base}/g/{quote(code)}" + (f"?{query}" if query else "")


def _item(index: GuideIndex | None, request: Request) -> Item | Response:
    if index is None:
        return error(503, "guide_not_ready", *NOT_READY)
    found = index.by_code.get(request.path_params["code"])
    return found if found is not None else error(404, "guide_item_unknown", *UNKNOWN)


async def _answers(request: Request) -> dict[str, str] | Response:
    try:
        return parse_answers(await request.json())
    except (ValueError, BadAnswers) as err:
        return _bad_answers(err)


def _bad_answers(err: Exception) -> Response:
    return error(422, "bad_answers", "所选情形无效，请重新选择。", f"Invalid answers: {err}")
