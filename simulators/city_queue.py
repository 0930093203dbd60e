"""A simulated city-hall queue and calling system (市级大厅排队叫号系统) with an HTTP JSON API.

It stands for the system a city hall already runs, which a site may keep using instead of our
built-in queue (``cloud.hall.city_queue``); ``docs/city-queue.md`` documents the API — what we
expect of the real one. Every request carries ``X-Api-Key``; every answer is
``{"code", "message", "data"}`` with ``code`` ``OK`` on success:

- ``GET /api/v1/business-types`` — the business types (业务类型) with their waiting counts;
- ``POST /api/v1/tickets`` ``{business_type, source}`` → a ticket (取号), numbered per type;
- ``GET /api/v1/tickets/{id}``; ``GET /api/v1/tickets?status=waiting&business_type=``;
  ``POST /api/v1/tickets/{id}/cancel``;
- ``GET /api/v1/windows/{no}`` (window status); ``POST /api/v1/windows/{no}/{op}`` with op
  ``call-next`` ``{staff_no}`` (data null: nobody waits), ``recall``, ``start``, ``no-show``,
  ``complete`` ``{case_no}``, ``transfer`` ``{to_business_type | to_window}``, ``status``
  ``{status, staff_no}``.

A POST with an ``X-Request-Id`` seen before is answered as the first time, not done twice (a
client may retry after a timeout). Refusals: 401 ``AUTH_FAILED``, 404 ``TICKET_NOT_FOUND`` /
``WINDOW_NOT_FOUND``, 422 ``BUSINESS_UNKNOWN``, 409 ``BUSINESS_SUSPENDED`` / ``STATE_INVALID``
/ ``WINDOW_BUSY`` / ``WINDOW_NOT_OPEN``, 400 ``BAD_REQUEST``.

Fault switches (:class:`Faults`): ``fail_next`` answers 5xx ``SYSTEM_ERROR``; ``stall_next``
holds answers (a client timeout; the act is done first); ``stale_next`` answers ticket reads
with the ticket as it was before its last change; ``rate`` + ``seed`` inject 5xx and stalls at
random, reproducibly. ``POST /_sim/faults`` sets them over HTTP (``kfleet sim city-queue``).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulators.city_queue_state import CityQueueState, Refusal
from simulators.http_runner import stop_runner

Answer = tuple[int, dict[str, Any]]


@dataclass
class Faults:
    fail_next: int = 0
    fail_status: int = 500
    stall_next: int = 0
    stall_s: float = 5.0
    stale_next: int = 0
    #: chance per request of a random fault (half 5xx, half stall), drawn from ``seed``
    rate: float = 0.0
    seed: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    def draw(self) -> str:
        """``fail``, ``stall`` or ``""`` for the next request."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return "fail"
        if self.stall_next > 0:
            self.stall_next -= 1
            return "stall"
        if self.rate and self.rng.random() < self.rate:
            return "fail" if self.rng.random() < 0.5 else "stall"
        return ""


def ok(data: Any) -> Answer:
    return 200, {"code": "OK", "message": "成功", "data": data}


@dataclass
class CityQueueSim:
    api_key: str = "city-sim-key"
    state: CityQueueState = field(default_factory=CityQueueState)
    faults: Faults = field(default_factory=Faults)
    host: str = "127.0.0.1"
    port: int = 0
    url: str = ""
    #: (method, path, status, code) of every answer, in order
    requests: list[tuple[str, str, int, str]] = field(default_factory=list)
    _replies: dict[str, Answer] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> CityQueueSim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/_sim/faults", self._set_faults)
        app.router.add_route("*", "/api/v1/{rest:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await stop_runner(self._runner)
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        status, body = await self._answer(request)
        self.requests.append((request.method, request.path, status, str(body.get("code"))))
        return web.json_response(body, status=status, dumps=_dumps)

    async def _answer(self, request: web.Request) -> Answer:
        if request.headers.get("X-Api-Key") != self.api_key:
            return 401, {"code": "AUTH_FAILED", "message": "API key 无效", "data": None}
        fault = self.faults.draw()
        if fault == "fail":
            status = self.faults.fail_status
            return status, {"code": "SYSTEM_ERROR", "message": "系统繁忙", "data": None}
        replay_key = request.headers.get("X-Request-Id", "")
        if request.method == "POST" and replay_key in self._replies:
            answer = self._replies[replay_key]
        else:
            answer = await self._act(request)
            if request.method == "POST" and replay_key and answer[0] < 500:
                self._replies[replay_key] = answer
        if fault == "stall":  # acted on, but the answer comes too late for the client
            await asyncio.sleep(self.faults.stall_s)
        return answer

    async def _act(self, request: web.Request) -> Answer:
        try:
            body = await request.json() if request.can_read_body else {}
            if not isinstance(body, dict):
                raise ValueError("not an object")
            route = self._route(request.method, request.match_info["rest"].strip("/").split("/"))
            if route is None:
                return 404, {"code": "NOT_FOUND", "message": "no such API", "data": None}
            return route(request, body)
        except (ValueError, json.JSONDecodeError):
            return 400, {"code": "BAD_REQUEST", "message": "请求体须为 JSON 对象", "data": None}
        except Refusal as r:
            return r.status, {"code": r.code, "message": r.message, "data": None}

    def _route(
        self, method: str, parts: list[str]
    ) -> Callable[[web.Request, dict[str, Any]], Answer] | None:
        match method, parts:
            case "GET", ["business-types"]:
                return lambda _r, _b: self._business_types()
            case "POST", ["tickets"]:
                return lambda _r, b: self._take(b)
            case "GET", ["tickets"]:
                return lambda r, _b: self._list(r)
            case "GET", ["tickets", tid]:
                return lambda _r, _b: self._read(_id(tid))
            case "POST", ["tickets", tid, "cancel"]:
                return lambda _r, _b: ok(self.state.ticket_json(self.state.cancel(_id(tid))))
            case "GET", ["windows", number]:
                return lambda _r, _b: ok(self.state.window_json(number))
            case "POST", ["windows", number, op]:
                return lambda _r, b: self._window_op(number, op, b)
        return None

    def _business_types(self) -> Answer:
        s = self.state
        return ok(
            [
                {"type": t, "name": name, "prefix": prefix, "waiting": len(s.waiting(t))}
                for t, (name, prefix) in s.business.items()
            ]
        )

    def _take(self, body: dict[str, Any]) -> Answer:
        business = body.get("business_type")
        if not isinstance(business, str) or not business:
            raise Refusal(400, "BAD_REQUEST", "business_type 必填")
        ticket = self.state.take(business, str(body.get("source") or "kiosk"))
        return ok(self.state.ticket_json(ticket))

    def _read(self, ticket_id: int) -> Answer:
        ticket = self.state.ticket(ticket_id)
        if self.faults.stale_next > 0 and ticket_id in self.state.previous:
            self.faults.stale_next -= 1
            ticket = self.state.previous[ticket_id]
        return ok(self.state.ticket_json(ticket))

    def _list(self, request: web.Request) -> Answer:
        if request.query.get("status", "waiting") != "waiting":
            raise Refusal(400, "BAD_REQUEST", "只支持 status=waiting")
        waiting = self.state.waiting(request.query.get("business_type", ""))
        return ok([self.state.ticket_json(t) for t in waiting])

    def _window_op(self, number: str, op: str, body: dict[str, Any]) -> Answer:
        s = self.state
        ops: dict[str, Callable[[], Any]] = {
            "call-next": lambda: s.call_next(number, str(body.get("staff_no") or "")),
            "recall": lambda: s.recall(number),
            "start": lambda: s.start(number),
            "no-show": lambda: s.no_show(number),
            "complete": lambda: s.complete(number, str(body.get("case_no") or "")),
            "transfer": lambda: s.transfer(
                number, str(body.get("to_business_type") or ""), str(body.get("to_window") or "")
            ),
            "status": lambda: s.set_status(
                number, str(body.get("status")), str(body.get("staff_no") or "")
            ),
        }
        act = ops.get(op)
        if act is None:
            raise Refusal(404, "NOT_FOUND", f"no window operation {op!r}")
        result = act()
        if op == "status":
            return ok(s.window_json(number))
        if result is None:
            return 200, {"code": "OK", "message": "无人等候", "data": None}
        return ok(s.ticket_json(result))

    async def _set_faults(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Api-Key") != self.api_key:
            return web.json_response({"code": "AUTH_FAILED"}, status=401)
        body = await request.json()
        for name in ("fail_next", "fail_status", "stall_next", "stall_s", "stale_next", "rate"):
            if name in body:
                setattr(self.faults, name, type(getattr(self.faults, name))(body[name]))
        if "suspend" in body:
            self.state.suspended = set(body["suspend"])
        return web.json_response({"code": "OK", "message": "成功", "data": None})


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _id(text: str) -> int:
    if not text.isdigit():
        raise Refusal(404, "TICKET_NOT_FOUND", f"票号 id {text!r} 不存在")
    return int(text)


async def serve_forever(sim: CityQueueSim, started: Callable[[str], Awaitable[None]]) -> None:
    """Run until cancelled (``kfleet sim city-queue``)."""
    await sim.start()
    try:
        await started(sim.url)
        await asyncio.Event().wait()
    finally:
        await sim.stop()
