"""A running cloud for the content tests: windows configured at the pilot town, callers of
each role, images made with OpenCV, uploads as the console sends them (multipart)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import sites as site_repo
from cloud.db.hall import HallQueue, HallService, HallStaff, HallWindow
from cloud.settings import Settings
from tests.access.kit import HHL, TGLS, AccessCloud, access_cloud

__all__ = ["HHL", "TGLS", "configure", "configure_site", "content_cloud", "plan", "png", "upload"]


def settings_for(tmp_path: Path, mqtt_url: str, **extra: Any) -> Settings:
    return Settings(data_dir=tmp_path, mqtt_url=mqtt_url, demo=True, **extra)


@asynccontextmanager
async def content_cloud(tmp_path: Path, mqtt_url: str, **extra: Any) -> AsyncIterator[AccessCloud]:
    async with access_cloud(settings_for(tmp_path, mqtt_url, **extra)) as cloud:
        yield cloud


def png(w: int = 320, h: int = 200, shade: int = 200, noise: bool = False) -> bytes:
    rng = np.random.default_rng(w * 7 + h + shade)
    pixels = (
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        if noise
        else np.full((h, w, 3), shade, dtype=np.uint8)
    )
    ok, buf = cv2.imencode(".png", pixels)
    assert ok
    return bytes(buf.tobytes())


async def upload(
    http: httpx.AsyncClient,
    data: bytes,
    site: str = HHL,
    name: str = "plan.png",
    media: str = "image/png",
) -> httpx.Response:
    return await http.post(
        "/api/v1/hall/floorplans", params={"site": site}, files={"file": (name, data, media)}
    )


def plan(sha: str, windows: list[tuple[str, float, float]], **extra: Any) -> dict[str, Any]:
    return {
        "image_sha256": sha,
        "title_zh": "大厅平面图",
        "windows": [{"number": n, "x": x, "y": y} for n, x, y in windows],
        **extra,
    }


async def configure_site(cloud: AccessCloud, site: str = HHL, windows: int = 3) -> None:
    """A queue, a service and ``windows`` windows (1..n) with staff S1 on window 1's roster."""
    await configure(cloud.parts.sessions, site, windows)


async def configure(
    sessions: async_sessionmaker[AsyncSession], site: str = HHL, windows: int = 3
) -> None:
    async with sessions() as s:
        row = await site_repo.require(s, site)
        queue = HallQueue(site_id=row.id, code="general", name_zh="综合", prefix="A")
        s.add(queue)
        await s.flush()
        s.add(HallService(site_id=row.id, code="hukou", name_zh="户籍办理", queue_id=queue.id))
        s.add(HallStaff(site_id=row.id, staff_no="S1", name="王芳", title="科员"))
        for n in range(1, windows + 1):
            s.add(
                HallWindow(
                    site_id=row.id,
                    number=str(n),
                    name_zh=f"{n}号窗口",
                    queue_codes=["general"],
                    roster=["S1"] if n == 1 else [],
                )
            )
        await s.commit()
