"""A running cloud (embedded-broker settings from the caller) for the catalogue tests, and a
small catalogue: two departments, a theme, and an item whose situation changes its
materials (高龄补贴: 80-89 or 90+, local hukou or not)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import httpx

from cloud.kiosk import catalogue_repo
from cloud.settings import Settings
from fleet.access import PersonRole
from protocols.guide import CATALOGUE
from protocols.mqtt_url import parse_mqtt_url
from protocols.topics import site_topic
from tests.access.kit import HHL, AccessCloud, access_cloud

__all__ = [
    "HHL",
    "admin",
    "catalogue_cloud",
    "clear_retained",
    "departments",
    "item",
    "seed",
    "site_paths",
    "themes",
]


@asynccontextmanager
async def catalogue_cloud(
    tmp_path: Path, mqtt_url: str, **extra: Any
) -> AsyncIterator[AccessCloud]:
    """The cloud; the retained announcements its publications left are removed after."""
    settings = Settings(data_dir=tmp_path, mqtt_url=mqtt_url, demo=True, **extra)
    async with access_cloud(settings) as cloud:
        sites = await site_paths(cloud)
        try:
            yield cloud
        finally:
            await clear_retained(mqtt_url, sites)


def departments() -> list[dict[str, str]]:
    return [
        {"code": "civil", "name": "民政局", "name_en": "Civil Affairs"},
        {"code": "police", "name": "公安局", "name_en": "Public Security"},
    ]


def themes() -> list[dict[str, str]]:
    return [{"code": "elderly", "name": "老年人", "name_en": "Elderly"}]


def item(code: str = "gaoling", **extra: Any) -> dict[str, Any]:
    """高龄补贴: the 90+ answer adds a material, a non-local hukou another."""
    return {
        "code": code,
        "name": "高龄补贴申领",
        "name_en": "Old-age allowance",
        "department": "civil",
        "themes": ["elderly"],
        "time_limit_days": 5,
        "windows": {HHL: ["3"]},
        "conditions": ["年满80周岁"],
        "questions": [
            {
                "code": "age",
                "text": "申请人年龄",
                "options": [
                    {"code": "a80", "label": "80-89岁"},
                    {"code": "a90", "label": "90岁以上"},
                ],
            },
            {
                "code": "local",
                "text": "是否本地户籍",
                "options": [{"code": "yes", "label": "是"}, {"code": "no", "label": "否"}],
            },
        ],
        "materials": [
            {"code": "id", "name": "居民身份证", "form": "original_and_copy"},
            {"code": "bank", "name": "银行卡", "sub": [{"name": "本人一类账户", "note": "借记卡"}]},
            {"code": "health", "name": "体检证明", "when": [{"age": "a90"}]},
            {"code": "residence", "name": "居住证明", "when": [{"local": "no"}]},
        ],
        "forms": [{"code": "apply", "name": "高龄补贴申请表"}],
        "review_points": [{"text": "核对户籍年龄", "when": []}],
        "keywords": ["高龄", "补贴"],
        **extra,
    }


async def seed(http: httpx.AsyncClient, *codes: str) -> None:
    """Departments, themes and one item per code, through the API."""
    for d in departments():
        assert (await http.post("/api/v1/guide/departments", json=d)).status_code in (200, 201)
    for t in themes():
        assert (await http.post("/api/v1/guide/themes", json=t)).status_code in (200, 201)
    for code in codes or ("gaoling",):
        r = await http.post("/api/v1/guide/items", json=item(code))
        assert r.status_code == 201, r.text


async def admin(cloud: AccessCloud) -> httpx.AsyncClient:
    return await cloud.as_role(PersonRole.ADMINISTRATOR)


async def site_paths(cloud: AccessCloud) -> list[str]:
    async with cloud.parts.sessions() as s:
        return await catalogue_repo.site_paths(s)


async def clear_retained(mqtt_url: str, sites: list[str]) -> None:
    """Remove the retained catalogue announcements a test left on the shared broker."""
    ep = parse_mqtt_url(mqtt_url)
    async with aiomqtt.Client(ep.host, ep.port, identifier=f"kf-clean-{uuid.uuid4().hex[:8]}") as c:
        for site in sites:
            await c.publish(site_topic(site, CATALOGUE), b"", qos=1, retain=True)
