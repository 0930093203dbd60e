"""A running cloud for the alerts API tests: the app with a recording notifier, the evaluator
ticking fast, callers of each role, and a device with a printer out of paper."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx

from cloud.app import create_app, seed_sites
from cloud.settings import Settings
from fleet.access import PersonRole
from tests.access.kit import AccessCloud
from tests.alerts.kit import RecordingNotifier


def settings_for(tmp_path: Path, mqtt_url: str) -> Settings:
    return Settings(data_dir=tmp_path, mqtt_url=mqtt_url, demo=True, alert_eval_interval_s=0.2)


@asynccontextmanager
async def alerts_cloud(
    settings: Settings, notifier: RecordingNotifier
) -> AsyncIterator[AccessCloud]:
    app = create_app(settings, notifier)
    await seed_sites(app)
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        cloud = AccessCloud(app, app.state.parts, stack)
        async with asyncio.timeout(30):  # as enroll_kit: 10 s ran out at load 17
            await cloud.parts.bus.ready.wait()
        yield cloud


async def operator(cloud: AccessCloud, scope: str = "qh") -> httpx.AsyncClient:
    return await cloud.as_role(PersonRole.OPERATOR, scope)


async def rules_by_name(http: httpx.AsyncClient) -> dict[str, int]:
    r = await http.get("/api/v1/alert-rules")
    assert r.status_code == 200, r.text
    return {rule["name"]: rule["id"] for rule in r.json()["items"]}
