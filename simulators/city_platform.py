"""A simulated city 政务服务平台 case API (办件查询), as docs/kiosk-cases.md "Wire format" says.

Every request is a signed ``POST`` with a JSON body:

- ``X-Gov-App-Id``, ``X-Gov-Timestamp`` (Unix **milliseconds**, ±5 min: the replay window),
  ``X-Gov-Nonce`` (16..64 letters/digits, never twice inside the window) and
  ``X-Gov-Signature`` = base64 HMAC-SHA256(secret, ``METHOD\\nPATH\\nAPP_ID\\nTS\\nNONCE\\n`` +
  hex SHA-256 of the body);
- ``POST /gov/api/v2/case/list`` ``{"certType": "111", "certNo", "pageNo", "pageSize"}`` → a
  person's cases, newest first, paged (``pageSize`` 1..50);
- ``POST /gov/api/v2/case/detail`` ``{"caseNo"}`` → one case.

Answers are ``{"code", "msg", "data", "requestId"}``: ``code`` ``"0"`` is success; business
refusals come with HTTP 200 and their own code (``20001`` no such case, ``20002`` the
certificate number is not valid, ``20003`` the case is classified 涉密 and not shown); HTTP 400
``40001`` bad parameters; HTTP 401 ``10001`` unknown app, ``10002`` bad signature, ``10003``
timestamp outside the window, ``10004`` nonce replayed; HTTP 503 ``50301`` maintenance with
``data.maintenanceEnd``; HTTP 500 ``50000``.

Fault switches (set them on a running simulator): ``stall_s`` holds every answer that long
(the client's timeout), ``maintenance_until`` answers 503 until then, ``malformed`` answers a
cut-off JSON body with HTTP 200, :meth:`CityPlatformSim.fail_next` answers the next n requests
with a 5xx. Runs on loopback (``async with CityPlatformSim() as sim: sim.url``) or by itself
(``kfleet sim city-platform``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from simulators.city_platform_apply import MATERIAL_PATH, SUBMIT_PATH, TRACK_PATH, ApplyDesk
from simulators.city_platform_cases import seeded_cases
from simulators.http_runner import stop_runner

LIST_PATH = "/gov/api/v2/case/list"
DETAIL_PATH = "/gov/api/v2/case/detail"
WINDOW_MS = 5 * 60 * 1000
CHINA = timezone(timedelta(hours=8))
_NONCE = re.compile(r"^[A-Za-z0-9]{16,64}$")
_CERT = re.compile(r"^[0-9]{17}[0-9X]$")
_CASE_NO = re.compile(r"^[A-Za-z0-9-]{6,40}$")


def string_to_sign(method: str, path: str, app_id: str, ts: str, nonce: str, body: bytes) -> bytes:
    """``METHOD\\nPATH\\nAPP_ID\\nTS\\nNONCE\\n`` + hex SHA-256 of the body."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path, app_id, ts, nonce, digest)).encode()


def signature(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def answer(code: str, msg: str, data: Any = None, status: int = 200) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "msg": msg, "data": data}


@dataclass
class CityPlatformSim:
    apps: dict[str, str] = field(default_factory=lambda: {"sim-city-app": "sim-city-secret"})
    host: str = "127.0.0.1"
    port: int = 0
    #: the platform's own "today" (the seeded timelines are dated back from it): Golmud's date,
    #: as its case numbers and submissions use, not UTC's (a day behind from 16:00 to 24:00 UTC)
    today: date = field(default_factory=lambda: datetime.now(CHINA).date())
    stall_s: float = 0.0
    maintenance_until: datetime | None = None
    malformed: bool = False
    cases: list[dict[str, Any]] = field(default_factory=list)
    #: (path, HTTP status, body code) of every answer, in order
    requests: list[tuple[str, int, str]] = field(default_factory=list)
    url: str = ""
    answered: asyncio.Condition = field(default_factory=asyncio.Condition)
    _fail: list[int] = field(default_factory=list)
    _nonces: dict[str, float] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    #: the application API (自助申报: simulators/city_platform_apply.py)
    apply: ApplyDesk = field(default_factory=ApplyDesk)

    def __post_init__(self) -> None:
        if not self.cases:
            self.cases = seeded_cases(self.today)

    def fail_next(self, n: int, status: int = 500) -> None:
        self._fail = [status] * n

    def cases_of(self, cert_no: str) -> list[dict[str, Any]]:
        return [c for c in self.cases if c["certNo"] == cert_no]

    async def __aenter__(self) -> CityPlatformSim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)  # materials are base64
        app.router.add_post(LIST_PATH, self._handle)
        app.router.add_post(DETAIL_PATH, self._handle)
        for path in (MATERIAL_PATH, SUBMIT_PATH):
            app.router.add_post(path, self._handle)
        app.router.add_get(TRACK_PATH, self._track)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}"
        self.apply.url = self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await stop_runner(self._runner)
            self._runner = None

    async def wait_for(self, count: int) -> None:
        """Until at least ``count`` requests were answered (callers bound the wait)."""
        async with self.answered:
            await self.answered.wait_for(lambda: len(self.requests) >= count)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        status, body = self._decide(request, raw)
        async with self.answered:
            self.requests.append((request.path, status, str(body.get("code"))))
            self.answered.notify_all()
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        body["requestId"] = f"sim-{next(self._ids)}"
        if self.malformed and status == 200:
            return web.Response(text='{"code":"0","msg":"成功","data":{"total":', status=200)
        return web.json_response(body, status=status)

    def _decide(self, request: web.Request, raw: bytes) -> tuple[int, dict[str, Any]]:
        refusal = self._check_signature(request, raw)
        if refusal is not None:
            return refusal
        if self.maintenance_until is not None and datetime.now(UTC) < self.maintenance_until:
            end = self.maintenance_until.isoformat()
            return answer("50301", "系统维护中，请稍后再试", {"maintenanceEnd": end}, 503)
        if self._fail:
            return answer("50000", "系统内部错误", None, self._fail.pop())
        try:
            req = json.loads(raw)
        except ValueError:
            return answer("40001", "请求体不是合法的 JSON", None, 400)
        if not isinstance(req, dict):
            return answer("40001", "请求体必须是对象", None, 400)
        if request.path == LIST_PATH:
            return self._list(req)
        if request.path == MATERIAL_PATH:
            return self.apply.material(req)
        if request.path == SUBMIT_PATH:
            return self.apply.submit(req, self.cases, datetime.now(CHINA))
        return self._detail(req)

    async def _track(self, request: web.Request) -> web.StreamResponse:
        return self.apply.track_page(request.query.get("caseNo", "")[:40], self.cases)

    def _check_signature(
        self, request: web.Request, raw: bytes
    ) -> tuple[int, dict[str, Any]] | None:
        h = request.headers
        app_id, ts, nonce = (
            h.get("X-Gov-App-Id", ""),
            h.get("X-Gov-Timestamp", ""),
            h.get("X-Gov-Nonce", ""),
        )
        secret = self.apps.get(app_id)
        if secret is None:
            return answer("10001", f"未知的应用 {app_id!r}", None, 401)
        now_ms = time.time() * 1000
        if not ts.isdigit() or abs(now_ms - int(ts)) > WINDOW_MS:
            return answer("10003", "时间戳超出允许范围（±5 分钟）", None, 401)
        if not _NONCE.match(nonce):
            return answer("10004", "随机数格式不正确", None, 401)
        want = signature(
            secret, string_to_sign(request.method, request.path, app_id, ts, nonce, raw)
        )
        if not hmac.compare_digest(want, h.get("X-Gov-Signature", "")):
            return answer("10002", "签名校验失败", None, 401)
        self._nonces = {n: t for n, t in self._nonces.items() if now_ms - t <= WINDOW_MS}
        if nonce in self._nonces:
            return answer("10004", "请求重放：随机数已使用", None, 401)
        self._nonces[nonce] = now_ms
        return None

    def _list(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        cert, page, size = req.get("certNo"), req.get("pageNo", 1), req.get("pageSize", 10)
        if req.get("certType", "111") != "111" or not isinstance(cert, str):
            return answer("40001", "certType 须为 111（居民身份证），certNo 必填", None, 400)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (page, size)):
            return answer("40001", "pageNo、pageSize 须为整数", None, 400)
        if page < 1 or not 1 <= size <= 50:
            return answer("40001", "pageNo ≥ 1，pageSize 1..50", None, 400)
        if not _CERT.match(cert):
            return answer("20002", "证件号码不合法", None)
        mine = [_public(c) for c in self.cases_of(cert)]
        records = mine[(page - 1) * size : page * size]
        pages = max(1, math.ceil(len(mine) / size))
        data = {
            "total": len(mine),
            "pageNo": page,
            "pageSize": size,
            "pages": pages,
            "records": records,
        }
        return answer("0", "成功", data)

    def _detail(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        case_no = req.get("caseNo")
        if not isinstance(case_no, str) or not _CASE_NO.match(case_no):
            return answer("40001", "caseNo 必填：6..40 位字母、数字或 -", None, 400)
        found = next((c for c in self.cases if c["caseNo"] == case_no.upper()), None)
        if found is None:
            return answer("20001", "办件不存在", None)
        if found["secret"]:
            return answer("20003", "该办件涉及保密事项，不予公开查询", None)
        return answer("0", "成功", _public(found))


def _public(case: dict[str, Any]) -> dict[str, Any]:
    """A classified case in a person's list shows only that it exists (no timeline)."""
    out = {k: v for k, v in case.items() if k != "secret"}
    if case["secret"]:
        out.update(itemName="（涉密事项）", nodes=[], caseStatusName="不予公开", caseStatus="SM")
    return out
