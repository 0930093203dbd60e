"""A simulated provincial 好差评 platform (政务服务好差评系统) speaking the API in docs/haocha.md.

``POST /api/evaluation/v1/ratings`` takes one rating (``simulators.haocha_checks`` lists the
fields) signed with the app's secret: ``X-App-Id``, ``X-Timestamp`` (Unix seconds, ±5 min),
``X-Nonce`` (never twice) and ``X-Signature`` = hex HMAC-SHA256 over method, path, app id,
timestamp, nonce and the body. Answers:

- 200 ``{"code": "OK", "ratingId", "duplicate"}`` — a ``sourceId`` seen before returns the
  same ``ratingId`` with ``duplicate: true`` and is stored once (the sender's retry is safe);
- 401 ``UnknownApp`` / ``BadSignature`` / ``StaleTimestamp`` / ``ReplayedNonce`` …;
- 400 with a code (``InvalidLevel``, ``ReasonRequired``, ``TooOld``, ``UnknownSite``…):
  resending the same cannot help (until, say, the site is registered with the platform);
- faults, switched on by rates (seeded, so a run repeats) or queued with :meth:`fail_next`:
  ``error`` (503), ``rate_limit`` (429 + ``Retry-After``), ``hang`` (no answer for
  ``hang_s``), ``drop`` (the connection closed without an answer), ``slow`` (``slow_s`` late).
  A hang or a drop happens before or after the rating is stored (seeded coin): the sender
  cannot tell which, as with a real platform.

``GET /api/evaluation/v1/ratings/{ratingId}`` and ``GET …/ratings?sourceId=`` return a stored
rating (signed the same way). Runs on loopback for tests (``async with HaochaPlatform() as p``)
or by itself (``kfleet sim haocha``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from simulators.haocha_checks import (
    Refusal,
    check_headers,
    check_rating,
    signature,
    string_to_sign,
)
from simulators.http_runner import stop_runner

RATINGS_PATH = "/api/evaluation/v1/ratings"
FAULT_KINDS = ("error", "rate_limit", "hang", "drop", "slow")


@dataclass
class Faults:
    """Chances (0..1) that a submit meets each fault; ``seed`` makes a run repeatable."""

    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    hang_rate: float = 0.0
    drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_s: float = 0.5
    hang_s: float = 30.0
    retry_after_s: int = 1
    seed: int = 0


@dataclass
class HaochaPlatform:
    apps: dict[str, str] = field(default_factory=lambda: {"sim-app": "sim-secret"})
    #: site codes registered on the platform (None: any); another is refused ``UnknownSite``
    sites: set[str] | None = None
    faults: Faults = field(default_factory=Faults)
    host: str = "127.0.0.1"
    port: int = 0
    url: str = ""
    #: sourceId → the stored rating (with its ``ratingId``)
    ratings: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: sourceId → how many submits of it reached the platform (stored or not)
    submits: Counter[str] = field(default_factory=Counter)
    #: (status, code) of every answer, and every fault met, in order
    answers: list[tuple[int, str]] = field(default_factory=list)
    faults_met: list[str] = field(default_factory=list)
    answered: asyncio.Condition = field(default_factory=asyncio.Condition)
    _queued: list[str] = field(default_factory=list)
    _nonces: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _rng: random.Random = field(default_factory=random.Random)
    _closing: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    def fail_next(self, *kinds: str) -> None:
        """The next submits meet these faults, in order (before any random ones)."""
        unknown = [k for k in kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault {unknown[0]!r}: one of {FAULT_KINDS}")
        self._queued.extend(kinds)

    async def __aenter__(self) -> HaochaPlatform:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self._rng.seed(self.faults.seed)
        app = web.Application()
        app.router.add_post(RATINGS_PATH, self._submit)
        app.router.add_get(RATINGS_PATH, self._find)
        app.router.add_get(RATINGS_PATH + "/{rating_id}", self._get)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        self._closing.set()  # hung answers end now
        if self._runner is not None:
            await stop_runner(self._runner)

    async def wait_answers(self, count: int) -> None:
        """Until at least ``count`` submits were answered or faulted (callers bound it)."""
        async with self.answered:
            await self.answered.wait_for(lambda: len(self.answers) >= count)

    def by_rating_id(self, rating_id: str) -> dict[str, Any] | None:
        return next((r for r in self.ratings.values() if r["ratingId"] == rating_id), None)

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        fault = self._next_fault()
        if fault in ("error", "rate_limit") or (fault in ("hang", "drop") and self._coin()):
            return await self._fault(request, fault)  # before the rating is looked at
        status, answer = self._store(request, body)
        if fault in ("hang", "drop"):
            return await self._fault(request, fault)  # stored, the answer lost
        if fault == "slow":
            self.faults_met.append(fault)  # answered, only late
            await self._pause(self.faults.slow_s)
        return await self._answer(status, answer)

    def _store(self, request: web.Request, body: bytes) -> tuple[int, dict[str, Any]]:
        refusal = self._authenticate(request, body)
        if refusal is not None:
            return refusal.status, refusal.body()
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = None
        checked = check_rating(parsed, datetime.now(UTC))
        source_id = parsed.get("sourceId") if isinstance(parsed, dict) else None
        if isinstance(source_id, str):
            self.submits[source_id] += 1
        if isinstance(checked, Refusal):
            return checked.status, checked.body()
        if self.sites is not None and checked["siteCode"] not in self.sites:
            msg = f"site {checked['siteCode']} is not registered with the platform"
            return 400, Refusal(400, "UnknownSite", msg, "siteCode").body()
        held = self.ratings.get(checked["sourceId"])
        if held is not None:
            return 200, {"code": "OK", "ratingId": held["ratingId"], "duplicate": True}
        day = datetime.now(UTC).strftime("%Y%m%d")
        rating_id = f"HC{day}{next(self._ids):08d}"
        self.ratings[checked["sourceId"]] = {**checked, "ratingId": rating_id}
        return 200, {"code": "OK", "ratingId": rating_id, "duplicate": False}

    def _authenticate(self, request: web.Request, body: bytes) -> Refusal | None:
        app_id = request.headers.get("X-App-Id", "")
        secret = self.apps.get(app_id)
        if secret is None:
            return Refusal(401, "UnknownApp", f"no app {app_id!r} is registered")
        headers = {k.lower(): v for k, v in request.headers.items()}
        fresh = check_headers(headers, time.time(), self._nonces)
        if isinstance(fresh, Refusal):
            return fresh
        message = string_to_sign(
            request.method, request.path_qs, app_id, headers["x-timestamp"], fresh, body
        )
        if not _same(signature(secret, message), headers.get("x-signature", "")):
            return Refusal(401, "BadSignature", "X-Signature does not match the request")
        self._nonces.add(fresh)  # only a signed request spends its nonce
        return None

    async def _find(self, request: web.Request) -> web.Response:
        refusal = self._authenticate(request, b"")
        if refusal is not None:
            return await self._answer(refusal.status, refusal.body())
        held = self.ratings.get(request.query.get("sourceId", ""))
        if held is None:
            return await self._answer(404, {"code": "NotFound", "message": "no such sourceId"})
        return await self._answer(200, {"code": "OK", "rating": held})

    async def _get(self, request: web.Request) -> web.Response:
        refusal = self._authenticate(request, b"")
        if refusal is not None:
            return await self._answer(refusal.status, refusal.body())
        held = self.by_rating_id(request.match_info["rating_id"])
        if held is None:
            return await self._answer(404, {"code": "NotFound", "message": "no such ratingId"})
        return await self._answer(200, {"code": "OK", "rating": held})

    def _next_fault(self) -> str:
        if self._queued:
            return self._queued.pop(0)
        f, roll = self.faults, self._rng.random()
        for kind, rate in (
            ("error", f.error_rate),
            ("rate_limit", f.rate_limit_rate),
            ("hang", f.hang_rate),
            ("drop", f.drop_rate),
            ("slow", f.slow_rate),
        ):
            if roll < rate:
                return kind
            roll -= rate
        return ""

    def _coin(self) -> bool:
        return self._rng.random() < 0.5

    async def _fault(self, request: web.Request, kind: str) -> web.StreamResponse:
        await self._record(0, kind)
        if kind == "error":
            body = {"code": "ServiceUnavailable", "message": "simulated outage"}
            return web.json_response(body, status=503)
        if kind == "rate_limit":
            headers = {"Retry-After": str(self.faults.retry_after_s)}
            body = {"code": "RateLimited", "message": "too many requests"}
            return web.json_response(body, status=429, headers=headers)
        if kind == "hang":
            await self._pause(self.faults.hang_s)
        if request.transport is not None:
            request.transport.abort()  # no status line at all: the sender sees a reset
        return web.Response(status=500)  # never reaches anyone

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)

    async def _answer(self, status: int, body: dict[str, Any]) -> web.Response:
        await self._record(status, str(body.get("code")))
        return web.json_response(body, status=status)

    async def _record(self, status: int, code: str) -> None:
        async with self.answered:
            if status == 0:
                self.faults_met.append(code)
            self.answers.append((status, code))
            self.answered.notify_all()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
