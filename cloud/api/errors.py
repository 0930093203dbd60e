"""One error shape for every error the REST API answers (:class:`~cloud.schemas.ErrorBody`).

A client reads ``status``, a stable snake_case ``code``, a ``message`` written for a person
(what is wrong, why, what to do) and, for a 422 from validation only, the offending fields in
``errors``. Validation errors never echo the submitted value (it may be personal data, or a
NaN that JSON cannot carry). The handlers here cover the cloud's own errors, FastAPI's
validation, Starlette's HTTP errors (unknown route, wrong method) and — through
:class:`CatchAll` — anything unexpected, so no request ends in a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloud.api.strict_json import JsonBodyInvalid
from cloud.errors import BusUnavailable, CloudError
from cloud.schemas import ErrorBody, ErrorItem

log = logging.getLogger(__name__)

#: ``code`` for each status when the error names none of its own.
CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_busy",
    500: "internal_error",
    503: "service_unavailable",
    507: "insufficient_storage",
}

#: What each declared status means, for the OpenAPI document.
DESCRIPTIONS: dict[int, str] = {
    400: "the request body could not be read",
    401: "no credentials, or credentials that are wrong, expired or revoked (`code` says "
    "which: no_credentials, bad_token, token_expired, token_revoked, session_expired, ...)",
    403: "refused: the caller's role lacks the permission this route needs "
    "(`code` permission_denied), or a blob token or grant is missing, bad or expired",
    404: "the named resource does not exist",
    409: "the request clashes with the resource's current state",
    413: "the request body is larger than this route accepts",
    415: "the uploaded file is not of a type this route accepts",
    422: "the request is invalid (`code` validation_error: see `errors`) or cannot be done",
    429: "the cloud is beyond what it can take now (`code` too_busy): nothing was done; "
    "send the same request again after the `Retry-After` header's seconds",
    500: "an unexpected error in the cloud (it is logged); retry later",
    503: "the cloud is not connected to the MQTT broker; retry later",
    507: "the disk under the blob store is full",
}


def error_responses(
    *statuses: int, described: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router or route: each status answers an :class:`ErrorBody`.

    ``described`` says what a status means on this route (else the generic description).
    """
    said = described or {}
    return {
        s: {"model": ErrorBody, "description": said.get(s, DESCRIPTIONS[s])}
        for s in sorted({*statuses, *said})
    }


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    errors: Sequence[ErrorItem] = (),
    headers: dict[str, str] | None = None,
    citizen: tuple[str, str] | None = None,
) -> JSONResponse:
    """The one error shape as a response (``citizen``: the kiosk's zh-CN and English words)."""
    body = ErrorBody(
        status=status,
        code=code or CODES.get(status, f"http_{status}"),
        message=message,
        errors=list(errors),
        citizen_message=citizen[0] if citizen else None,
        citizen_message_en=citizen[1] if citizen else None,
    )
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status, headers=headers)


def _msg(error: dict[str, Any]) -> str:
    msg = str(error.get("msg", ""))
    ctx = error.get("ctx")
    if error.get("type") == "json_invalid" and isinstance(ctx, dict) and "error" in ctx:
        msg = f"{msg}: {ctx['error']}"  # the parser's words, not the input
    return msg


def error_items(raw: Iterable[Any]) -> list[ErrorItem]:
    """Pydantic/FastAPI error dicts without their ``input`` and ``ctx`` (never echoed)."""
    return [
        ErrorItem(
            loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            msg=_msg(e),
            type=str(e.get("type", "")),
        )
        for e in raw
        if isinstance(e, dict)
    ]


def validation_response(items: list[ErrorItem]) -> JSONResponse:
    """422 naming every field that is wrong."""
    fields = ", ".join(".".join(str(p) for p in e.loc) or "the request" for e in items)
    first = items[0].msg if items else "it does not match the API"
    return error_response(
        422,
        f"the request is invalid at {fields or 'the request'} ({first}): "
        "correct the fields listed in errors and send it again",
        code="validation_error",
        errors=items,
    )


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_response(error_items(exc.errors()))


async def _on_cloud_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CloudError)
    raw = getattr(exc, "errors", None)  # ParamsInvalid: the job's params, field by field
    if isinstance(raw, list) and raw:
        return validation_response(error_items(raw))
    status = exc.status_code
    code = "bus_unavailable" if isinstance(exc, BusUnavailable) else None
    if status >= 500 and not isinstance(exc, BusUnavailable) and status != 507:
        log.error("cloud error answered %s", status, exc_info=exc)
    citizen = getattr(exc, "citizen", None)
    return error_response(
        status,
        str(exc),
        code=getattr(exc, "code", None) or code,
        citizen=citizen,
        headers=getattr(exc, "headers", None),  # Retry-After of a 429 (cloud.job_intake)
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    headers = dict(exc.headers) if exc.headers else None
    if isinstance(exc, JsonBodyInvalid):
        return validation_response([ErrorItem(loc=exc.loc, msg=exc.detail, type="json_invalid")])
    if status == 400:
        message = f"{exc.detail}: send one JSON document that matches the schema in /docs"
    elif isinstance(exc.detail, str) and exc.detail != _phrase(status):
        message = exc.detail
    elif status == 404:
        message = f"there is no {request.url.path}: the API is described at /docs"
    elif status == 405:
        allowed = _allowed_methods(request)
        headers = {**(headers or {}), "Allow": allowed}
        message = (
            f"{request.method} is not allowed on {request.url.path}"
            + (f"; use {allowed}" if allowed else "")
            + ": the API is described at /docs"
        )
    else:
        message = f"{_phrase(status)}: the API is described at /docs"
    return error_response(status, message, headers=headers)


#: Methods a route of this API may have.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> str:
    """Every method some route offers on this path (Starlette names only the first route's)."""
    routes = request.app.router.routes
    return ", ".join(
        m
        for m in _METHODS
        if any(r.matches({**request.scope, "method": m})[0] is Match.FULL for r in routes)
    )


class CatchAll:
    """Answer any exception that escaped the handlers with a 500 in the one shape (logged).

    A pure ASGI middleware, so the error never reaches Starlette's plain-text 500 and the
    server loop stays quiet; if the response had already started, it can only be cut off.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            busy = database_unavailable(exc)
            if busy is not None and not started:  # a condition of the moment: one line
                log.warning("%s %s: %s", scope.get("method"), scope.get("path"), exc)
                await busy(scope, receive, send)
                return
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response(
                500,
                "the cloud failed on this request because of an internal error (it is logged "
                "with its traceback): retry later, and report it if it persists",
            )
            await response(scope, receive, send)


#: Seconds a client is asked to wait when the database is busy or unreachable.
DATABASE_RETRY_AFTER_S = 2


def database_unavailable(exc: Exception) -> JSONResponse | None:
    """A 503 with ``Retry-After`` for a database that is busy or unreachable — every pooled
    connection in use past the pool's timeout, a PostgreSQL that refuses connections, an
    SQLite file locked or on a full disk — which are conditions of the moment, not bugs of
    the request: a client should retry, and a load balancer may send it elsewhere."""
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        return error_response(
            503,
            "the cloud's database connections are all in use (the cloud is overloaded): "
            f"retry after {DATABASE_RETRY_AFTER_S} s",
            code="database_busy",
            headers=headers,
        )
    if isinstance(exc, sqlalchemy.exc.OperationalError):
        reason = str(exc.orig).splitlines()[0][:200] if exc.orig is not None else "unknown"
        return error_response(
            503,
            f"the cloud's database is not available ({reason}): retry after "
            f"{DATABASE_RETRY_AFTER_S} s; if it persists, the operators should check the "
            "database server and its disk",
            code="database_unavailable",
            headers=headers,
        )
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Route every error of ``app`` through the one shape."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(CloudError, _on_cloud_error)
    app.add_middleware(CatchAll)
