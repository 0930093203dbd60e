"""The simulated 电子证照库 for the demo and the browser tests (a line of
:data:`kfleet.world.demo_kiosk_platforms.KIOSK_PLATFORMS`): certificates issued at the demo's
kiosks are reported to it, and 我的电子证照 lists from it (docs/kiosk-certificates.md)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol

from simulators.license_library import LicenseLibrarySim

APP_ID, SECRET = "kfleet-demo-dzzz", "sim-dzzz-secret"


class _Platforms(Protocol):
    running: dict[str, Any]


@contextlib.asynccontextmanager
async def license_library(platforms: _Platforms) -> AsyncIterator[dict[str, Any]]:
    async with LicenseLibrarySim(app_id=APP_ID, secret=SECRET) as sim:
        platforms.running["license_library"] = sim
        endpoint = {"url": sim.url, "app_id": APP_ID, "secret": SECRET, "timeout_s": 5.0}
        yield {"license_library": endpoint}
