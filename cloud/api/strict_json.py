"""Request bodies parsed as standard JSON: no NaN or Infinity, no unpaired UTF-16 surrogates.

Python's ``json`` module accepts ``NaN``, ``Infinity`` and ``1e400`` (a float infinity) and
decodes a lone ``\\ud800`` escape into a string no UTF-8 codec can encode. Inside a free-form
field (a job's ``params``) such a value was stored and sent on, and every later answer that
contained it failed to serialise. Routers built with ``route_class=StrictJsonRoute`` refuse
those bodies with a 422 naming the field, before any model sees them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute


class JsonBodyInvalid(HTTPException):
    """The body is JSON only by Python's lenient reading (HTTP 422 naming where)."""

    def __init__(self, loc: list[str | int], msg: str) -> None:
        super().__init__(422, msg)
        self.loc = ["body", *loc]


def _problem(value: Any) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN and infinite values are not JSON numbers: send a finite number"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return (
                "a string holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff), "
                "which is not text: send valid Unicode"
            )
    return None


def check(value: Any) -> None:
    """Raise :class:`JsonBodyInvalid` at the first non-standard value in a decoded body."""
    stack: list[tuple[list[str | int], Any]] = [([], value)]
    while stack:
        loc, item = stack.pop()
        if (msg := _problem(item)) is not None:
            raise JsonBodyInvalid(loc, msg)
        if isinstance(item, dict):
            for key, child in item.items():
                if (msg := _problem(key)) is not None:
                    raise JsonBodyInvalid(loc, msg)
                stack.append(([*loc, key], child))
        elif isinstance(item, list):
            stack.extend(([*loc, i], child) for i, child in enumerate(item))


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            value = json.loads(await self.body())
            check(value)
            self._json = value
        return self._json


class StrictJsonRoute(APIRoute):
    """An API route whose JSON body is parsed by :func:`loads`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
