"""Logs a collector can parse: one JSON object per line, each carrying the request it belongs to.

``KFLEET_LOG_FORMAT=json`` gives lines like::

    {"ts": "2026-12-06T04:12:17.112Z", "level": "info", "logger": "cloud.http",
     "msg": "GET /api/v1/jobs 200 in 3.1 ms", "request_id": "9f2c…", "trace_id": "4bf9…",
     "extra": {"method": "GET", "path": "/api/v1/jobs", "status": 200, "ms": 3.1}}

The request id comes from the caller's ``X-Request-ID`` (or is made here) and the trace id from
a W3C ``traceparent``; :class:`RequestIdMiddleware` puts both in a context variable, so every
log line written while the request is handled carries them, and echoes them in the response.
``text`` (the default) is for a terminal: ``INFO cloud.http [9f2c…]: GET /…``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str | None] = ContextVar("kfleet_request_id", default=None)
TRACE_ID: ContextVar[str | None] = ContextVar("kfleet_trace_id", default=None)

#: a caller's request id is kept if it looks like one (else a new one is made)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
#: W3C trace context: version-traceid-parentid-flags
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
#: attributes every LogRecord has: anything else was passed as ``extra=``
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

http_log = logging.getLogger("cloud.http")
#: probed every few seconds: their access lines are debug, not info
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class ContextFilter(logging.Filter):
    """Puts the current request and trace id on every record (``%(request_id)s``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.trace_id = TRACE_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; never raises on odd ``extra`` values."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
            "trace_id": getattr(record, "trace_id", None) or TRACE_ID.get(),
        }
        extra = {
            k: v
            for k, v in vars(record).items()
            if k not in _STANDARD and k not in ("request_id", "trace_id")
        }
        if extra:
            out["extra"] = extra
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(levelname)s %(name)s [%(request_id)s]: %(message)s"


def handler(fmt: str) -> logging.Handler:
    """A stderr handler in ``fmt`` (``json`` or ``text``) with the request context."""
    out = logging.StreamHandler()
    out.addFilter(ContextFilter())
    out.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return out


def configure(fmt: str, level: str) -> None:
    """The process's logging: the root logger and uvicorn's all write through one handler."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(fmt))
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # our own access line carries the request id; uvicorn's would be a second, without it
    logging.getLogger("uvicorn.access").disabled = True


def ids_from(headers: list[tuple[bytes, bytes]]) -> tuple[str, str | None]:
    """(request id, trace id) from the request's headers; a request id is made if missing."""
    given = {k.lower(): v.decode("latin-1") for k, v in headers}
    request_id = given.get(b"x-request-id", "").strip()
    trace = _TRACEPARENT.match(given.get(b"traceparent", "").strip())
    trace_id = trace.group(1) if trace and trace.group(1) != "0" * 32 else None
    if not _REQUEST_ID.match(request_id):
        request_id = uuid.uuid4().hex
    return request_id, trace_id


class RequestIdMiddleware:
    """Sets the request and trace id for the request's log lines, echoes ``X-Request-ID``
    (and ``traceparent``) in the response, and logs one access line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, trace_id = ids_from(scope.get("headers", []))
        traceparent = dict(scope.get("headers", [])).get(b"traceparent")
        tokens = REQUEST_ID.set(request_id), TRACE_ID.set(trace_id)
        began, status = time.perf_counter(), 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                if trace_id and traceparent:
                    headers["traceparent"] = traceparent.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            ms = round((time.perf_counter() - began) * 1000, 1)
            method, path = scope.get("method", ""), scope.get("path", "")
            http_log.log(
                logging.DEBUG if path in PROBES else logging.INFO,
                "%s %s %d in %.1f ms",
                method,
                path,
                status,
                ms,
                extra={"method": method, "path": path, "status": status, "ms": ms},
            )
            REQUEST_ID.reset(tokens[0])
            TRACE_ID.reset(tokens[1])
