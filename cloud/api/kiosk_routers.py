"""The kiosk services' routers (issue 14), included by ``cloud.app`` in this order."""

from __future__ import annotations

from types import ModuleType

from cloud.api import kiosk_identity, kiosk_queries, kiosk_stats

KIOSK_ROUTERS: list[ModuleType] = [
    kiosk_identity,  # queries: one-time codes, identity tokens
    kiosk_queries,  # queries: the convenience queries
    kiosk_stats,  # queries: usage by query and outcome
]
