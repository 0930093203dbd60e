"""The demo's Alipay: the simulated open-platform gateway (``platforms.running["alipay"]``)
with a demo app whose key pair is made at start (never stored), and the cloud settings that
point the Alipay channel at it (docs/pay-alipay.md)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol

from simulators.alipay_gateway import GATEWAY_PATH, AlipayGatewaySim
from simulators.alipay_gateway_sign import bare_private, bare_public, new_key

#: the demo app's APPID (a sandbox-looking number: 2021 + 12 digits)
DEMO_APP_ID = "2021000100000001"


class _Platforms(Protocol):
    running: dict[str, Any]


@contextlib.asynccontextmanager
async def alipay_gateway(platforms: _Platforms) -> AsyncIterator[dict[str, Any]]:
    app_key = new_key()
    async with AlipayGatewaySim(apps={DEMO_APP_ID: bare_public(app_key.public_key())}) as sim:
        platforms.running["alipay"] = sim
        yield {
            "alipay_gateway_url": sim.url + GATEWAY_PATH,
            "alipay_app_id": DEMO_APP_ID,
            "alipay_app_private_key": bare_private(app_key),
            "alipay_public_key": sim.public_key,
        }
