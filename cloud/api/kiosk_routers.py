"""The kiosk services' routers (issue 14), included by ``cloud.app`` in this order."""

from __future__ import annotations

from types import ModuleType

from cloud.api import (
    appointments,
    guide,
    guide_device,
    guide_preview,
    guide_publish,
    kiosk_appointments,
    kiosk_cases,
    kiosk_guide,
)

KIOSK_ROUTERS: list[ModuleType] = [
    guide,
    guide_publish,
    guide_device,
    kiosk_cases,
    kiosk_appointments,
    appointments,
    kiosk_guide,
    guide_preview,
]
