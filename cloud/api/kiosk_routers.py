"""The kiosk services' routers (issue 14), included by ``cloud.app`` in this order."""

from __future__ import annotations

from types import ModuleType

from cloud.api import (
    appointments,
    forms,
    forms_phone,
    guide,
    guide_device,
    guide_preview,
    guide_publish,
    kiosk_apply,
    kiosk_appointments,
    kiosk_cases,
    kiosk_certs,
    kiosk_copy,
    kiosk_elderly,
    kiosk_forms,
    kiosk_guide,
    kiosk_identity,
    kiosk_pay,
    kiosk_queries,
    kiosk_stats,
    pay_console,
    pay_notify,
    pay_reconcile,
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
    kiosk_elderly,  # elderly: 高龄补贴 registration and face-verified certification
    kiosk_apply,  # 自助申报: material pages, the form, the application
    kiosk_certs,  # certs: certificates, licences, social card loss, the /v/ page
    pay_reconcile,  # payments: reconciliation runs (docs/pay-banks.md)
    kiosk_forms,  # forms: e-forms for kiosks (check, phone hand-off, print)
    forms_phone,  # forms: the phone page /f/{token} and its API
    forms,  # forms: the console's e-form editor
    kiosk_pay,  # 生活缴费: bills, orders, receipts (kiosk)
    pay_notify,  # 生活缴费: the gateways' notifications (public, verified by the channel)
    pay_console,  # 生活缴费: orders and refunds (console)
    print_audit,  # audit: the print/copy audit (统一扎口)
    kiosk_copy,  # audit: 自助复印 (a copy job on the calling kiosk)
]
