"""The kiosk services' routers (issue 14), included by ``cloud.app`` in this order."""

from __future__ import annotations

from types import ModuleType

from cloud.api import guide_preview, kiosk_guide

KIOSK_ROUTERS: list[ModuleType] = [kiosk_guide, guide_preview]
