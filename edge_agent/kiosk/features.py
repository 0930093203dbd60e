"""The kiosk's features: each returns its routes under ``/kiosk/api/<feature>/...`` and ships a
script ``static/k_<feature>.js`` that registers its screen(s) with the shell.

One line per feature here; a feature's module owns everything else of it.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

from edge_agent.kiosk import appointments, cases, copy, guide, queries
from edge_agent.kiosk.parts import KioskParts

Feature = Callable[[KioskParts], list[BaseRoute]]

FEATURES: list[Feature] = [
    cases.routes,  # 办件进度: case lookup through the city platform
    appointments.routes,  # 预约: book, cancel and check in
    guide.routes,  # 办事指南: search and situations offline, print through the cloud
    queries.routes,  # 便民查询 and the identity check
    copy.routes,  # 自助复印: preview scanned here, printed by a copy job on this kiosk
]
