"""The seven simulated departments of the convenience queries, one demo starter each
(:data:`DEPARTMENT_STARTERS`, listed in :data:`kfleet.world.demo_kiosk_platforms.KIOSK_PLATFORMS`):
each runs the department's simulator on loopback (``platforms.running[<code>]``) and yields the
``kiosk_departments`` entry pointing the cloud at it (docs/departments.md)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from simulators.dept_all import SIMULATORS


class _Platforms(Protocol):
    running: dict[str, Any]


def demo_credentials(code: str) -> tuple[str, str]:
    """The app id and secret the demo's simulated department and the cloud share."""
    return f"kfleet-demo-{code}", f"sim-{code}-secret"


def starter(code: str) -> Callable[[Any], AbstractAsyncContextManager[dict[str, Any]]]:
    @contextlib.asynccontextmanager
    async def start(platforms: _Platforms) -> AsyncIterator[dict[str, Any]]:
        app_id, secret = demo_credentials(code)
        async with SIMULATORS[code](app_id=app_id, secret=secret) as sim:
            platforms.running[code] = sim
            endpoint = {"url": sim.url, "app_id": app_id, "secret": secret, "timeout_s": 5.0}
            yield {"kiosk_departments": {code: endpoint}}

    start.__name__ = f"department_{code}"
    return start


DEPARTMENT_STARTERS = [starter(code) for code in SIMULATORS]
