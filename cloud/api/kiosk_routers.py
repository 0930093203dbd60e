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
    kiosk_copy,
    kiosk_guide,
    kiosk_identity,
    kiosk_queries,
    kiosk_stats,
    print_audit,
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
    kiosk_identity,  # queries: one-time codes, identity tokens
    kiosk_queries,  # queries: the convenience queries
    kiosk_stats,  # queries: usage by query and outcome
    print_audit,  # audit: the print/copy audit (统一扎口)
    kiosk_copy,  # audit: 自助复印 (a copy job on the calling kiosk)
]
