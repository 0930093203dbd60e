"""Helpers of the enrollment tests: a cloud with an administrator's API token, minting and
enrolling through the real API, and device Basic credentials."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.access import PersonRole
from tests.cloudkit import running_cloud
from tests.identity_kit import bearer, make_api_token

HHL = "qh/hx/golmud/hhl"
TGLS = "qh/hx/golmud/tgls"
SECRET = "enrollment-tests-secret-0123456789abcdef"


@dataclass(frozen=True)
class Cloud:
    parts: Parts
    http: httpx.AsyncClient
    admin: dict[str, str]  # headers of an administrator's API token


@asynccontextmanager
async def enrollment_cloud(settings: Settings) -> AsyncIterator[Cloud]:
    async with running_cloud(settings) as (parts, http):
        token = await make_api_token(parts.sessions, PersonRole.ADMINISTRATOR, "qh")
        yield Cloud(parts, http, bearer(token))


async def mint(cloud: Cloud, site: str = HHL, **extra: Any) -> dict[str, Any]:
    body = {"site": site, "role": "kiosk", **extra}
    r = await cloud.http.post("/api/v1/enrollment-tokens", json=body, headers=cloud.admin)
    assert r.status_code == 201, r.text
    minted: dict[str, Any] = r.json()
    return minted


async def enroll(cloud: Cloud, token: str, device_id: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"token": token, "hostname": "test-host", "agent_version": "test"}
    if device_id is not None:
        body["device_id"] = device_id
    return await cloud.http.post("/api/v1/enroll", json=body)


def basic(device_id: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{device_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def device_mqtt_url(broker_url: str, device_id: str, password: str) -> str:
    """``mqtt://device:password@host:port`` from the URL the enroll answer gave."""
    scheme, rest = broker_url.split("://", 1)
    return f"{scheme}://{device_id}:{password}@{rest}"
