"""A cloud for the 好差评 API tests (per-caller clients) and ratings stored as sources do."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cloud.db import sites as site_repo
from cloud.db.hall import HallRating
from cloud.hall import ratings_store as store
from cloud.notify.model import Notice
from cloud.settings import Settings
from tests.access.kit import AccessCloud, access_cloud
from tests.hall.ratings_kit import DATABASES, database_url, ratings_of

HHL = "qh/hx/golmud/hhl"
TGLS = "qh/hx/golmud/tgls"


@pytest.fixture(params=DATABASES)
async def cloud(
    request: pytest.FixtureRequest, tmp_path: Path, amqtt_url: str, uid: str
) -> AsyncIterator[AccessCloud]:
    async with ratings_cloud(request, tmp_path, amqtt_url, uid) as c:
        yield c


@contextlib.asynccontextmanager
async def ratings_cloud(
    request: pytest.FixtureRequest, tmp_path: Path, amqtt_url: str, uid: str, **settings: Any
) -> AsyncIterator[AccessCloud]:
    """A cloud on the parametrised database, ``settings`` changed from the defaults."""
    with database_url(request, uid) as url:
        chosen = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True, **settings)
        if url is not None:
            chosen = chosen.model_copy(update={"database_url": url})
        async with access_cloud(chosen) as c:
            yield c


async def stored(
    cloud: AccessCloud,
    key: str,
    level: int | None,
    *,
    site: str = HHL,
    window: str = "3",
    staff: str = "017",
    outcome: str = "rated",
    reasons: Sequence[str] = (),
    rated_at: datetime | None = None,
) -> HallRating:
    async with cloud.parts.sessions() as s:
        site_id = (await site_repo.require(s, site)).id
        new = store.NewRating(
            site_id, key, "pad", outcome, level, list(reasons), window_no=window, staff_no=staff
        )
        new.service_code, new.rated_at = "hukou", rated_at
        row, _ = await store.record(s, new, ratings_of(cloud.parts).calendar, site)
        return row


class Recorder:
    """A Notifier that keeps what it was told (the message service is tested elsewhere)."""

    def __init__(self) -> None:
        self.notices: list[tuple[Notice, list[str]]] = []

    async def notify(self, notice: Notice, channels: Sequence[str]) -> None:
        self.notices.append((notice, list(channels)))

    def channel_names(self) -> list[str]:
        return ["duty-sms"]
