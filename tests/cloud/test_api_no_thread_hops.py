"""Every API route's dependencies run on the event loop: FastAPI hands a plain ``def``
dependency to its thread pool, a thread round trip per request for what is an attribute read
(issue 17 found three per job request, one per kiosk request). Make a getter ``async def``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

import cloud.api


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def _on_the_loop(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 - security schemes are callable objects
    )


def _routes() -> Iterator[APIRoute]:
    for info in pkgutil.iter_modules(cloud.api.__path__):
        module = importlib.import_module(f"cloud.api.{info.name}")
        for router in {
            id(o): o for o in vars(module).values() if isinstance(o, APIRouter)
        }.values():
            yield from (r for r in router.routes if isinstance(r, APIRoute))


def test_no_route_dependency_runs_in_the_thread_pool() -> None:
    routes = list(_routes())
    assert len(routes) > 100 and any(r.path == "/api/v1/jobs" for r in routes)
    threaded = {
        f"{getattr(call, '__module__', '?')}.{getattr(call, '__qualname__', call)}"
        for route in routes
        for call in _calls(route.dependant)
        if not _on_the_loop(call)
    }
    assert not threaded, sorted(threaded)
