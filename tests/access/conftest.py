"""Fixtures of the access-control tests: a cloud on the embedded broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.settings import Settings
from tests.access.kit import AccessCloud, access_cloud


@pytest.fixture
async def cloud(tmp_path: Path, amqtt_url: str) -> AsyncIterator[AccessCloud]:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=amqtt_url,
        demo=True,
        dispatch_interval_s=0.1,
        broker_hook_secret="walk-hook-secret",  # the hooks are on: they must refuse too
    )
    async with access_cloud(settings) as c:
        yield c
