"""The job routes' dependencies all run on the event loop: FastAPI hands a plain ``def``
dependency to its thread pool, a thread round trip per request for an attribute read (issue
17 found three per job request)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from cloud.api.jobs import router
from cloud.api.jobs_attachments import router as attachments


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def _on_the_loop(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 - security schemes are callable objects
    )


def test_no_job_route_dependency_runs_in_the_thread_pool() -> None:
    routes = [r for r in (*router.routes, *attachments.routes) if isinstance(r, APIRoute)]
    assert len(routes) >= 7
    threaded = {
        f"{route.path}: {getattr(call, '__qualname__', call)!r}"
        for route in routes
        for call in _calls(route.dependant)
        if not _on_the_loop(call)
    }
    assert not threaded, sorted(threaded)
