"""Outside systems the demo stands up for itself: the provincial 好差评 platform (simulated),
so the demo's ratings are forwarded as they would be in Golmud."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from simulators.haocha_platform import HaochaPlatform

APP_ID, SECRET = "sim-app", "sim-secret"


@contextlib.asynccontextmanager
async def with_platforms(
    enabled: bool, cloud_settings: dict[str, object]
) -> AsyncIterator[dict[str, object]]:
    """The cloud settings, pointing at the simulated platforms while they run (unchanged when
    not ``enabled`` or a ``haocha_url`` is given)."""
    if not enabled or "haocha_url" in cloud_settings:
        yield cloud_settings
        return
    async with HaochaPlatform(apps={APP_ID: SECRET}) as platform:
        yield {
            **cloud_settings,
            "haocha_url": platform.url,
            "haocha_app_id": APP_ID,
            "haocha_secret": SECRET,
        }
