"""The kiosk services' routers (issue 14), included by ``cloud.app`` in this order."""

from __future__ import annotations

from types import ModuleType

KIOSK_ROUTERS: list[ModuleType] = []
