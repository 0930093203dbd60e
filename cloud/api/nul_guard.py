"""No NUL character reaches the database: PostgreSQL cannot store one in text, so a ``%00``
in a path or query string (or a ``\\u0000`` in a body, see ``strict_json``) would turn any
lookup into a 500. Refused up front with a 422 naming where it was."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from cloud.api.errors import validation_response
from cloud.schemas import ErrorItem

NUL_MESSAGE = (
    "a NUL character (\\u0000) is not allowed in any text the API takes (the database cannot "
    "store it): remove it"
)


def nul_location(scope: Scope) -> list[str | int] | None:
    """Where a request's path or query string holds a NUL, or None."""
    if "\x00" in scope.get("path", ""):
        return ["path"]
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in key or "\x00" in value:
                return ["query", key.replace("\x00", "")]
        return ["query"]
    return None


class NoNul:
    """ASGI middleware: a NUL in the path or the query string is a 422 before any route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (loc := nul_location(scope)) is not None:
            item = ErrorItem(loc=loc, msg=NUL_MESSAGE, type="nul_character")
            await validation_response([item])(scope, receive, send)
            return
        await self.app(scope, receive, send)
