"""A simulated SMS/IM gateway (短信网关) speaking the HTTP API the SMS channel uses.

``POST /v1/sms/send`` with ``Authorization: Bearer <key>`` and ``{"phone", "sign_name",
"template_id", "params", "request_id"}``, answered as Aliyun/Tencent-style gateways do:

- 200 ``{"code": "OK", "message_id"}``; a ``request_id`` seen before is answered OK again and
  not sent twice (``"duplicate": true``);
- 401 ``Unauthorized`` (wrong key), 400 ``InvalidTemplate`` / ``InvalidParams`` /
  ``InvalidPhone`` — refusals a retry cannot fix;
- 429 ``RateLimited`` with ``Retry-After`` when a number got a message less than
  ``per_number_interval_s`` ago (carriers cap messages per number);
- fault switches: ``fail_next(n, status)`` answers the next n requests with that status (5xx,
  or 429 with ``retry_after_s``); ``stall_s`` holds each answer that long after acting on it
  (a client timeout).

What it "sent" is in :attr:`SmsGateway.sent`; every request it answered in :attr:`requests`.
Runs on loopback only (``async with SmsGateway(...) as gw: gw.url``).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulators.http_runner import stop_runner

#: template id → (its text with ${name} variables)
DEFAULT_TEMPLATES = {
    "KF_ALERT": "【${sign}】${state}：${site} ${summary}（级别 ${severity}）",
    # citizens' messages (cloud.kiosk.sms): one-time codes and appointments
    "KF_OTP": "【${sign}】您的验证码为${code}，${minutes}分钟内有效，请勿告诉他人。",
    "KF_APPT_BOOKED": (
        "【${sign}】您已预约${site}${service}，时间${slot}，预约号${ref}。"
        "请凭身份证到自助终端签到取号。"
    ),
    "KF_APPT_CANCELLED": "【${sign}】您${slot}在${site}的${service}预约（预约号${ref}）已取消。",
    "KF_APPT_REMINDER": "【${sign}】提醒：您预约的${site}${service}将于${slot}办理，请按时到达。",
}
_VAR = re.compile(r"\$\{([a-z_]+)\}")
_PHONE = re.compile(r"^\+?[0-9]{6,20}$")


@dataclass(frozen=True, slots=True)
class SentSms:
    phone: str
    template_id: str
    params: dict[str, str]
    text: str
    request_id: str
    at: float


@dataclass
class Fault:
    remaining: int = 0
    status: int = 500
    retry_after_s: float | None = None


@dataclass
class SmsGateway:
    api_key: str = "sim-api-key"
    templates: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    per_number_interval_s: float = 0.0
    stall_s: float = 0.0
    sent: list[SentSms] = field(default_factory=list)
    #: (status, body code) of every answer, in order
    requests: list[tuple[int, str]] = field(default_factory=list)
    fault: Fault = field(default_factory=Fault)
    url: str = ""
    _last_sent: dict[str, float] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    #: set on every answer (tests wait on it instead of sleeping)
    answered: asyncio.Condition = field(default_factory=asyncio.Condition)
    #: called with each text "sent" (``kfleet demo`` prints them: the one-time codes)
    on_sent: Callable[[SentSms], None] | None = None

    def fail_next(self, n: int, status: int = 500, retry_after_s: float | None = None) -> None:
        self.fault = Fault(n, status, retry_after_s)

    async def __aenter__(self) -> SmsGateway:
        app = web.Application()
        app.router.add_post("/v1/sms/send", self._send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await stop_runner(self._runner)

    async def wait_for(self, count: int) -> None:
        """Until at least ``count`` requests were answered (callers bound the wait)."""
        async with self.answered:
            await self.answered.wait_for(lambda: len(self.requests) >= count)

    async def _send(self, request: web.Request) -> web.Response:
        status, body, headers = await self._decide(request)
        async with self.answered:
            self.requests.append((status, str(body.get("code"))))
            self.answered.notify_all()
        if self.stall_s:  # the fault itself: the message went out, the answer comes late
            await asyncio.sleep(self.stall_s)
        return web.json_response(body, status=status, headers=headers)

    async def _decide(self, request: web.Request) -> tuple[int, dict[str, Any], dict[str, str]]:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {"code": "Unauthorized", "message": "bad api key"}, {}
        if self.fault.remaining > 0:
            self.fault.remaining -= 1
            headers = {}
            if self.fault.retry_after_s is not None:
                headers["Retry-After"] = f"{self.fault.retry_after_s:g}"
            code = "RateLimited" if self.fault.status == 429 else "InternalError"
            return self.fault.status, {"code": code, "message": "simulated fault"}, headers
        try:
            req = await request.json()
            phone, template_id = str(req["phone"]), str(req["template_id"])
            params, request_id = dict(req["params"]), str(req["request_id"])
        except (ValueError, KeyError, TypeError):
            return 400, {"code": "InvalidRequest", "message": "malformed body"}, {}
        return self._accept(phone, template_id, params, request_id, str(req.get("sign_name")))

    def _accept(
        self, phone: str, template_id: str, params: dict[str, Any], request_id: str, sign: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if not _PHONE.match(phone):
            return 400, {"code": "InvalidPhone", "message": f"bad number {phone!r}"}, {}
        template = self.templates.get(template_id)
        if template is None:
            return 400, {"code": "InvalidTemplate", "message": f"no template {template_id}"}, {}
        wanted = set(_VAR.findall(template)) - {"sign"}
        if set(params) != wanted:
            msg = f"template {template_id} takes {sorted(wanted)}, got {sorted(params)}"
            return 400, {"code": "InvalidParams", "message": msg}, {}
        if any(s.request_id == request_id for s in self.sent):
            return 200, {"code": "OK", "duplicate": True}, {}
        now = time.monotonic()
        last = self._last_sent.get(phone)
        if last is not None and now - last < self.per_number_interval_s:
            wait = self.per_number_interval_s - (now - last)
            return 429, {"code": "RateLimited"}, {"Retry-After": str(max(1, math.ceil(wait)))}
        self._last_sent[phone] = now
        values = {**{k: str(v) for k, v in params.items()}, "sign": sign}
        text = _VAR.sub(lambda m: values[m[1]], template)
        sms = SentSms(phone, template_id, dict(params), text, request_id, time.time())
        self.sent.append(sms)
        if self.on_sent is not None:
            self.on_sent(sms)
        return 200, {"code": "OK", "message_id": f"sim-{next(self._ids)}"}, {}
