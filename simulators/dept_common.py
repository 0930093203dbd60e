"""What every simulated department API (``simulators/dept_<code>.py``) shares: sign-in, faults,
paging and the loopback server. Each department keeps its own wire style (envelope, error codes,
paging names) in its own module by overriding :class:`DeptSimulator`'s ``ok``/``error``/
``page_args``/``paged``; docs/departments.md describes each one.

Sign-in, one of two modes, as real government gateways do:

- ``token``: ``POST /oauth/token`` (form: ``grant_type=client_credentials``, ``client_id``,
  ``client_secret``) → ``{"access_token", "token_type": "Bearer", "expires_in"}``; every call
  then carries ``Authorization: Bearer <token>``; an expired or unknown token is refused (401).
- ``hmac``: every call carries ``<P>App-Id``, ``<P>Timestamp`` (Unix s, ±300 s), ``<P>Nonce``
  (never twice) and ``<P>Signature`` = HMAC-SHA256(secret, ``METHOD\\nPATH?QUERY\\nAPP_ID\\nTS\\n
  NONCE\\n`` + body), hex or base64 (``<P>`` is the department's header prefix).

Fault switches (:class:`Faults`, mutable while it runs): ``stall_s`` holds every answer that long
(a client timeout), ``maintenance_until`` answers 503 with when the window ends, ``malformed``
answers 200 with a gateway's HTML page instead of the documented JSON, ``fail_count`` calls
answer a bare ``fail_status`` (502, 429...).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from aiohttp import web

from simulators.dept_people import PEOPLE, Citizen
from simulators.http_runner import stop_runner

AuthMode = Literal["token", "hmac"]
Handler = Callable[[dict[str, str]], "Rows | dict[str, Any]"]
MALFORMED_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


class Refusal(Exception):
    """A department's own refusal: ``code`` in its own vocabulary, ``status`` its HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Rows:
    """A handler's answer that is a list: the base pages it with the department's names."""

    items: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Faults:
    stall_s: float = 0.0
    maintenance_until: datetime | None = None
    malformed: bool = False
    #: answer the next ``fail_count`` calls with a bare ``fail_status`` (a gateway's 502, 429)
    fail_status: int = 502
    fail_count: int = 0


def string_to_sign(method: str, path_qs: str, app_id: str, ts: str, nonce: str) -> bytes:
    return ("\n".join((method.upper(), path_qs, app_id, ts, nonce)) + "\n").encode()


def hmac_signature(secret: str, head: bytes, body: bytes, digest: Literal["hex", "base64"]) -> str:
    mac = hmac.new(secret.encode(), head + body, hashlib.sha256)
    return mac.hexdigest() if digest == "hex" else base64.b64encode(mac.digest()).decode()


@dataclass
class DeptSimulator:
    """One department's API on loopback; subclasses add routes (:meth:`routes`) and the style."""

    code: str = "dept"
    auth: AuthMode = "token"
    app_id: str = "sim-app"
    secret: str = "sim-secret"
    header_prefix: str = "X-"
    digest: Literal["hex", "base64"] = "hex"
    token_ttl_s: float = 7200.0
    faults: Faults = field(default_factory=Faults)
    host: str = "127.0.0.1"
    port: int = 0
    url: str = ""
    #: (path, HTTP status) of every answer, in order
    answers: list[tuple[str, int]] = field(default_factory=list)
    tokens_issued: int = 0
    _tokens: dict[str, float] = field(default_factory=dict)
    _nonces: set[str] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    # --- the department's style (overridden) -------------------------------------------
    def routes(self) -> dict[tuple[str, str], Handler]:
        return {}

    def ok(self, payload: Any) -> web.Response:
        return web.json_response({"code": 0, "data": payload})

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        body: dict[str, Any] = {"code": code, "message": message}
        if until is not None:
            body["until"] = until.isoformat()
        return web.json_response(body, status=status)

    def auth_refused(self, message: str) -> web.Response:
        return self.error(401, "UNAUTHORIZED", message, None)

    def maintenance(self, until: datetime) -> web.Response:
        return self.error(503, "MAINTENANCE", "系统维护中", until)

    def params(self, query: dict[str, str], body: Any) -> dict[str, str]:
        """The call's arguments: the query string and a flat JSON body (a style may nest)."""
        return {**query, **{str(k): str(v) for k, v in dict(body).items()}}

    def page_args(self, params: dict[str, str]) -> tuple[int, int]:
        return _int(params.get("page"), 1), _int(params.get("size"), 10)

    def paged(self, rows: Rows, page: int, size: int) -> Any:
        total = len(rows.items)
        chunk = rows.items[(page - 1) * size : page * size]
        return {"list": chunk, "total": total, "page": page, "size": size, **rows.extra}

    # --- lifecycle ----------------------------------------------------------------------
    async def __aenter__(self) -> DeptSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        if self.auth == "token":
            app.router.add_post("/oauth/token", self._token)
        for (method, path), handler in self.routes().items():
            app.router.add_route(method, path, self._wrap(handler))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}"

    async def stop(self) -> None:
        self._closing.set()  # releases stalled answers
        if self._runner is not None:
            await stop_runner(self._runner)
            self._runner = None

    def revoke_tokens(self) -> None:
        """Forget every token issued (as a department does on a key rotation or a restart)."""
        self._tokens.clear()

    # --- the request path -----------------------------------------------------------------
    def _wrap(self, handler: Handler) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            response = await self._answer(request, handler)
            self.answers.append((request.path, response.status))
            return response

        return handle

    async def _answer(self, request: web.Request, handler: Handler) -> web.Response:
        body = await request.read()
        if self.faults.stall_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.faults.stall_s)
        if self.faults.maintenance_until is not None:
            return self.maintenance(self.faults.maintenance_until)
        if self.faults.fail_count > 0:
            self.faults.fail_count -= 1
            return web.Response(status=self.faults.fail_status, text="upstream error")
        refused = self._check_auth(request, body)
        if refused:
            return self.auth_refused(refused)
        if self.faults.malformed:
            return web.Response(text=MALFORMED_PAGE, content_type="text/html")
        try:
            params = self.params(dict(request.query), json.loads(body) if body else {})
        except (ValueError, TypeError, AttributeError):
            return self.error(400, "BAD_REQUEST", "the body is not the documented JSON", None)
        try:
            result = handler(params)
        except Refusal as r:
            return self.error(r.status, r.code, r.message, None)
        if isinstance(result, Rows):
            page, size = self.page_args(params)
            if page < 1 or not 1 <= size <= 100:
                return self.error(400, "BAD_PAGE", "bad page or size", None)
            return self.ok(self.paged(result, page, size))
        return self.ok(result)

    def _check_auth(self, request: web.Request, body: bytes) -> str:
        if self.auth == "token":
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            expires = self._tokens.get(token)
            if expires is None:
                return "unknown access token"
            return "access token expired" if expires < time.monotonic() else ""
        return self._check_signature(request, body)

    def _check_signature(self, request: web.Request, body: bytes) -> str:
        p = self.header_prefix
        app_id, ts = request.headers.get(p + "App-Id", ""), request.headers.get(p + "Timestamp", "")
        nonce, sig = request.headers.get(p + "Nonce", ""), request.headers.get(p + "Signature", "")
        if app_id != self.app_id:
            return "unknown app id"
        if not ts.isdigit() or abs(int(ts) - time.time()) > 300:
            return "stale timestamp"
        head = string_to_sign(request.method, request.raw_path, app_id, ts, nonce)
        if not hmac.compare_digest(sig, hmac_signature(self.secret, head, body, self.digest)):
            return "bad signature"
        if not nonce or nonce in self._nonces:
            return "replayed nonce"
        self._nonces.add(nonce)
        return ""

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.faults.maintenance_until is not None:
            return self.maintenance(self.faults.maintenance_until)
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        ok_id = form.get("client_id") == self.app_id
        if not (ok_id and hmac.compare_digest(str(form.get("client_secret")), self.secret)):
            return web.json_response({"error": "invalid_client"}, status=401)
        token = secrets.token_urlsafe(24)
        self._tokens[token] = time.monotonic() + self.token_ttl_s
        self.tokens_issued += 1
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl_s}
        return web.json_response(answer)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return -1


def need(params: dict[str, str], *names: str) -> list[str]:
    """The named parameters, or the department's generic 400 when one is missing."""
    missing = [n for n in names if not params.get(n)]
    if missing:
        raise Refusal("MISSING_PARAM", f"missing {', '.join(missing)}")
    return [params[n] for n in names]


def citizen(params: dict[str, str], id_key: str, name_key: str, codes: tuple[str, str]) -> Citizen:
    """The person a call is about; ``codes`` are the department's (no record, name mismatch)."""
    id_number, name = need(params, id_key, name_key)
    person = PEOPLE.get(id_number.upper())
    if person is None:
        raise Refusal(codes[0], "no record for this id number", 404)
    if person.name != name:
        raise Refusal(codes[1], "the name does not match the id number", 400)
    return person


def table(keys: tuple[str, ...], *rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Rows of seeded data written compactly as tuples in the order of ``keys``."""
    return [dict(zip(keys, row, strict=True)) for row in rows]
