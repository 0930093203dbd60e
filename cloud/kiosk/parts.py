"""The kiosk services' parts, built once per app (:func:`cloud.kiosk.build.build_kiosk`).

Each capability adds its service here (one attribute, typed under ``TYPE_CHECKING`` so this
module imports none of them) and, if it has a background loop, its coroutine to ``workers``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloud.kiosk.sms import CitizenSms

if TYPE_CHECKING:
    from cloud.kiosk.apply import ApplyService
    from cloud.kiosk.appointments_build import AppointmentServices
    from cloud.kiosk.cases import CaseService
    from cloud.kiosk.catalogue_service import CatalogueService
    from cloud.kiosk.certs_parts import CertServices
    from cloud.kiosk.copy import CopyService
    from cloud.kiosk.elderly import ElderlyService
    from cloud.kiosk.elderly_cert import CertService
    from cloud.kiosk.forms_desk import FormDesk
    from cloud.kiosk.forms_service import FormService
    from cloud.kiosk.guide_print import GuidePrint
    from cloud.kiosk.otp import OtpService
    from cloud.kiosk.pay.orders_build import Payments
    from cloud.kiosk.pay.reconcile import ReconcileService
    from cloud.kiosk.queries_service import QueryService
    from cloud.print_audit import PrintAudit


@dataclass
class Kiosk:
    #: texts to citizens (one-time codes, appointment confirmations)
    sms: CitizenSms
    #: the service-guide catalogue: working copy, publications, the current one
    catalogue: CatalogueService | None = None
    #: prints an item's guide on the calling kiosk's A4 printer (issue 14, guide)
    guide_print: GuidePrint | None = None
    #: background loops (no-show sweeps, catalogue republish at start...)
    workers: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = field(default_factory=list)
    #: closed when the app stops (outside systems' HTTP clients)
    closers: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    #: case progress (办件查询) from the city 政务服务平台
    cases: CaseService | None = None
    #: 办事预约: slots, bookings, check-in, the console calendar (cloud/kiosk/appointments_*.py)
    appointments: AppointmentServices | None = None
    #: one-time codes and identity tokens (person queries)
    otp: OtpService | None = None
    #: the convenience queries (便民查询)
    queries: QueryService | None = None
    #: 高龄补贴 registration (the 青海省高龄补贴登记表 to the 民政局)
    elderly: ElderlyService | None = None
    #: 高龄补贴 certification by face verification (人脸核验)
    elderly_cert: CertService | None = None

    #: 自助申报: materials as blobs, filed with the city 政务服务平台 (cloud/kiosk/apply*.py)
    apply: ApplyService | None = None
    #: certificates (证明开具) and 社会保障卡挂失/解挂 (issue 15, certs)
    certs: CertServices | None = None
    #: daily payment reconciliation against each channel's statement (docs/pay-banks.md)
    reconcile: ReconcileService | None = None
    #: 电子表单: form versions, publish, roll back, current(code) (cloud/kiosk/forms_*.py)
    forms: FormService | None = None
    #: 手机扫码填表 hand-offs and the A4 print of a filled form (cloud/kiosk/forms_build.py)
    form_desk: FormDesk | None = None
    #: 生活缴费: utility bills, payment orders, refunds (cloud/kiosk/pay/orders*.py)
    payments: Payments | None = None
    #: issue 15: the print/copy audit (统一扎口): records, content retention (cloud/print_audit*.py)
    print_audit: PrintAudit | None = None
    #: issue 15: 自助复印, a copy job on the calling kiosk (cloud/kiosk/copy.py)
    copy: CopyService | None = None

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as tg:
                for name, work in self.workers:
                    tg.create_task(work(), name=f"kiosk-{name}")
                await asyncio.Event().wait()  # owned by the app's workers: runs until cancelled
        finally:
            for close in self.closers:
                await close()
            await self.sms.close()
