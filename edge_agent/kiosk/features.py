"""The kiosk's features: each returns its routes under ``/kiosk/api/<feature>/...`` and ships a
script ``static/k_<feature>.js`` that registers its screen(s) with the shell.

One line per feature here; a feature's module owns everything else of it.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

from edge_agent.kiosk import (
    apply,
    appointments,
    cases,
    certs,
    copy,
    elderly,
    forms,
    guide,
    help,
    help_cobrowse,
    pay,
    queries,
)
from edge_agent.kiosk.parts import KioskParts

Feature = Callable[[KioskParts], list[BaseRoute]]

FEATURES: list[Feature] = [
    cases.routes,  # 办件进度: case lookup through the city platform
    appointments.routes,  # 预约: book, cancel and check in
    guide.routes,  # 办事指南: search and situations offline, print through the cloud
    queries.routes,  # 便民查询 and the identity check
    elderly.routes,  # 高龄补贴: registration and face-verified certification
    apply.routes,  # 自助申报: item, situations, scanned materials, e-form, submit, receipt
    certs.routes,  # 证明开具, 我的电子证照, 社保卡挂失/解挂 (issue 15)
    forms.routes,  # 自助填表: e-forms on the kiosk or the phone, printed on A4
    pay.routes,  # 生活缴费: bills, orders, the QR, receipts
    copy.routes,  # 自助复印: preview scanned here, printed by a copy job on this kiosk
    help_cobrowse.routes,  # 视频帮办: remote operation and material review (issue 16)
    help.routes,  # 视频帮办: calls to the call centre, the operator's picture (WHEP proxy)
]
