"""Request bodies parsed as standard JSON: no NaN or Infinity, no unpaired UTF-16 surrogates,
no NUL character (PostgreSQL cannot store one).

Python's ``json`` module accepts ``NaN``, ``Infinity`` and ``1e400`` (a float infinity) and
decodes a lone ``\\ud800`` escape into a string no UTF-8 codec can encode. Inside a free-form
field (a job's ``params``) such a value was stored and sent on, and every later answer that
contained it failed to serialise. Routers built with ``route_class=StrictJsonRoute`` refuse
those bodies with a 422 naming the field, before any model sees them.
"""

from __future__ import annotations

import json
import math
import re
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
        if "\x00" in value:
            return (
                "a NUL character (\\u0000) is not allowed in any text the API takes (the "
                "database cannot store it): remove it"
            )
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


#: what may hide a value standard JSON (or the database) refuses: a ``\\udXXX`` surrogate
#: escape (paired or not), one encoded as raw UTF-8, or a ``\\u0000`` NUL escape
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]|\\u0000")


def loads(body: bytes) -> Any:
    """``json.loads`` that refuses what standard JSON does not allow (:func:`check`).

    The walk over the decoded value runs only when the parse saw a non-finite number or the
    bytes hold a surrogate: an ordinary body costs one C-speed regex scan, not a Python walk.
    """
    suspicious = False

    def constant(name: str) -> float:
        nonlocal suspicious
        suspicious = True
        return float(name)

    def number(text: str) -> float:
        nonlocal suspicious
        value = float(text)
        suspicious = suspicious or not math.isfinite(value)
        return value

    value = json.loads(body, parse_constant=constant, parse_float=number)
    if suspicious or _SURROGATE.search(body):
        check(value)
    return value


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """An API route whose JSON body is parsed by :func:`loads`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
