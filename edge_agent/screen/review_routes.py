"""The corner-adjust screen's API: the pending review, its photo, and the citizen's answer.

``GET /api/v1/screen/review?seen=<id>&wait_s=<s>`` is a long poll: it answers at once when the
pending review is not ``seen`` (an id, or empty for none), else when it changes or after
``wait_s`` (≤ 25) seconds, so the review appears as soon as a scan asks for it. The photo is
served only while its review is pending, never cached, and only to a loopback client (the
device's own browser), even when ``allow_remote`` serves the status page further. Answers
must be JSON (``Content-Type: application/json``): a page elsewhere cannot post one without
a CORS preflight, which this app never grants.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge_agent.config import is_loopback
from edge_agent.jobs.review_desk import ReviewDesk, UnknownReview
from edge_agent.jobs.review_geometry import BadCorners

#: the longest a long poll is held (a browser or proxy may give up on longer ones)
MAX_WAIT_S = 25.0
#: an answer is four points and a word: anything bigger is not one
MAX_BODY = 4096
NO_STORE = {"Cache-Control": "no-store"}


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=NO_STORE)


def _not_local(request: Request) -> Response | None:
    """The photo is a citizen's document: only the device's own browser may see or answer it,
    even when ``screen.allow_remote`` serves the status page to the network."""
    host = request.client.host if request.client else ""
    if host == "localhost" or is_loopback(host):
        return None
    return _error(
        403,
        "the corner review is served only to the device's own browser (a loopback address); "
        "open the screen on the device itself",
    )


def review_routes(desk: ReviewDesk | None) -> list[Route]:
    """The routes; without a desk (no reviews on this device) nothing is ever pending."""

    async def pending(request: Request) -> Response:
        if refused := _not_local(request):
            return refused
        seen = request.query_params.get("seen", "")
        raw = request.query_params.get("wait_s", "0")
        try:
            wait_s = float(raw)
        except ValueError:
            wait_s = math.nan
        if not 0 <= wait_s <= MAX_WAIT_S:
            return _error(422, f"wait_s must be a number of seconds from 0 to {MAX_WAIT_S:g}")
        if desk is None:
            return JSONResponse({"review": None}, headers=NO_STORE)
        current = await desk.wait_change(seen, wait_s)
        now = asyncio.get_running_loop().time()
        body = {"review": current.describe(now) if current else None}
        return JSONResponse(body, headers=NO_STORE)

    async def frame(request: Request) -> Response:
        if refused := _not_local(request):
            return refused
        try:
            review = _desk(desk).get(request.path_params["id"])
        except UnknownReview as err:
            return _error(404, str(err))
        return Response(review.request.preview_jpeg, media_type="image/jpeg", headers=NO_STORE)

    async def answer(request: Request) -> Response:
        if refused := _not_local(request):
            return refused
        data = await _read_answer(request)
        if isinstance(data, Response):
            return data
        try:
            decision = _desk(desk).decide(
                request.path_params["id"], data.get("action"), data.get("corners")
            )
        except UnknownReview as err:
            return _error(404, str(err))
        except BadCorners as err:
            return _error(422, str(err))
        return JSONResponse({"action": decision.action}, headers=NO_STORE)

    return [
        Route("/api/v1/screen/review", pending, methods=["GET"]),
        Route("/api/v1/screen/review/{id}/frame.jpg", frame, methods=["GET"]),
        Route("/api/v1/screen/review/{id}", answer, methods=["POST"]),
    ]


def _desk(desk: ReviewDesk | None) -> ReviewDesk:
    if desk is None:
        raise UnknownReview("this device asks no corner reviews (it has no review desk)")
    return desk


async def _read_answer(request: Request) -> dict[str, Any] | Response:
    """The answer's JSON object, or the error response that says what is wrong with it."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error(415, "send the answer as JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return _error(413, f"an answer is at most {MAX_BODY} bytes; send action and corners")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return _error(413, f"an answer is at most {MAX_BODY} bytes; send action and corners")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _error(422, 'the answer is not JSON; send {"action": ..., "corners": [[x, y]*4]}')
    if not isinstance(data, dict):
        return _error(422, 'the answer must be a JSON object {"action": ..., "corners": ...}')
    return data
