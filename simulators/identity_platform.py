"""A simulated identity platform (统一身份认证平台): the phone on file for a citizen, which the
kiosk's one-time codes are sent to (``cloud/kiosk/identity_platform.py`` speaks its API).

``POST /api/v2/person/contact`` with ``Authorization: Bearer <token>`` and ``{"idNo",
"name"}``, answered in the platform's own envelope ``{"resultCode", "resultMsg", "data"}``:

- ``0000`` with ``data: {"mobile", "updateTime"}``;
- ``1001`` no such person, ``1002`` the name does not match the ID number, ``1003`` the person
  has no phone on file (HTTP 200: the platform's refusals are business answers);
- 401 ``9001`` wrong token; 503 ``9503`` with ``until`` during a maintenance window;
- fault switches: ``stall_s`` (holds each answer: a client timeout), ``malformed`` (an HTML
  error page instead of JSON), ``fail_next(n)`` (500s).

Seeded with the ID-card simulator's sample cards (``simulators.idcard_reader.SAMPLE_CARDS``)
so a card read at a demo kiosk has a phone on file. Runs on loopback unless told otherwise
(``kfleet sim identity-platform --host``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from simulators.http_runner import stop_runner
from simulators.idcard_reader import SAMPLE_CARDS

#: the sample cards' phones (the first is the default card's)
SAMPLE_PHONES = ("13800135678", "13907791234", "15897420086")


def seeded_people() -> dict[str, tuple[str, str]]:
    """ID number → (name, phone): the sample cards, plus one person with no phone on file."""
    people = {
        card.id_number: (card.name, phone)
        for card, phone in zip(SAMPLE_CARDS, SAMPLE_PHONES, strict=True)
    }
    people["632801197001010018"] = ("李建国", "")
    return people


@dataclass
class IdentityPlatformSim:
    token: str = "sim-identity-token"
    people: dict[str, tuple[str, str]] = field(default_factory=seeded_people)
    stall_s: float = 0.0
    malformed: bool = False
    maintenance_until: datetime | None = None
    failures: int = 0
    #: (status, resultCode) of every answer, in order
    requests: list[tuple[int, str]] = field(default_factory=list)
    url: str = ""
    host: str = "127.0.0.1"
    #: 0: any free port
    port: int = 0
    _runner: web.AppRunner | None = None

    def fail_next(self, n: int) -> None:
        self.failures = n

    async def __aenter__(self) -> IdentityPlatformSim:
        app = web.Application()
        app.router.add_post("/api/v2/person/contact", self._contact)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await stop_runner(self._runner)

    async def _contact(self, request: web.Request) -> web.Response:
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        if self.malformed:
            self.requests.append((502, "html"))
            return web.Response(text="<html>502 Bad Gateway</html>", status=502)
        status, body = await self._decide(request)
        self.requests.append((status, str(body.get("resultCode"))))
        return web.json_response(body, status=status)

    async def _decide(self, request: web.Request) -> tuple[int, dict[str, Any]]:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, _answer("9001", "invalid token")
        if self.maintenance_until is not None and datetime.now(UTC) < self.maintenance_until:
            body = _answer("9503", "system maintenance")
            return 503, {**body, "until": self.maintenance_until.isoformat()}
        if self.failures > 0:
            self.failures -= 1
            return 500, _answer("9999", "internal error")
        try:
            req = await request.json()
            id_no, name = str(req["idNo"]), str(req["name"])
        except (ValueError, KeyError, TypeError):
            return 400, _answer("9400", "bad request")
        person = self.people.get(id_no)
        if person is None:
            return 200, _answer("1001", "person not found")
        if person[0] != name:
            return 200, _answer("1002", "name does not match")
        if not person[1]:
            return 200, _answer("1003", "no mobile on file")
        data = {"mobile": person[1], "updateTime": "2026-03-01 09:30:00"}
        return 200, {**_answer("0000", "success"), "data": data}


def _answer(code: str, msg: str) -> dict[str, Any]:
    return {"resultCode": code, "resultMsg": msg}
