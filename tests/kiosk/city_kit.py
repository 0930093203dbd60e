"""The city 政务服务平台 simulator and our adapter pointed at it, for the case-progress tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cloud.kiosk.city_platform import CityPlatform
from simulators.city_platform import CityPlatformSim
from simulators.city_platform_cases import CAIRANG, MA, WANG

APP_ID, SECRET = "sim-city-app", "sim-city-secret"


@asynccontextmanager
async def sim_and_adapter(
    secret: str = SECRET, timeout_s: float = 2.0, app_id: str = APP_ID
) -> AsyncIterator[tuple[CityPlatformSim, CityPlatform]]:
    async with CityPlatformSim(apps={APP_ID: SECRET}) as sim:
        platform = CityPlatform(sim.url, app_id, secret, timeout_s)
        try:
            yield sim, platform
        finally:
            await platform.close()


__all__ = ["APP_ID", "CAIRANG", "MA", "SECRET", "WANG", "sim_and_adapter"]
