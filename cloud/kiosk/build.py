"""Builds the kiosk services (issue 14); each capability adds its own line here."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import BlobStore
from cloud.hall.parts import Hall
from cloud.jobs import JobService
from cloud.kiosk.apply import ApplyService
from cloud.kiosk.appointments_build import build_appointments
from cloud.kiosk.cases import CaseService
from cloud.kiosk.catalogue_service import CatalogueService
from cloud.kiosk.certs_build import build_certs
from cloud.kiosk.elderly_build import build_elderly
from cloud.kiosk.forms_build import build_forms
from cloud.kiosk.guide_print import GuidePrint
from cloud.kiosk.parts import Kiosk
from cloud.kiosk.pay.orders_build import build_payments
from cloud.kiosk.pay.reconcile_build import build_reconcile
from cloud.kiosk.print_audit_build import build_print_audit
from cloud.kiosk.queries_build import build_queries
from cloud.kiosk.sms import CitizenSms
from cloud.settings import Settings


def build_kiosk(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    jobs: JobService,
    hall: Hall,
) -> Kiosk:
    """The kiosk services; ``hall`` gives the queues (appointment check-in) and the content
    publisher (the catalogue); ``jobs`` prints (guides, case timelines, query results)."""
    kiosk = Kiosk(sms=CitizenSms(settings))
    if hall.content is not None:  # the catalogue: blobs as the hall content's, same publisher
        kiosk.catalogue = CatalogueService(
            sessions, hall.content.blobs, hall.publisher, settings.catalogue_offer_interval_s
        )
        kiosk.workers.append(("catalogue-offer", kiosk.catalogue.keep_offered))
    kiosk.cases = CaseService.of(settings, jobs, sessions)
    kiosk.closers.append(kiosk.cases.close)
    kiosk.appointments = build_appointments(
        kiosk.sms, kiosk.workers, settings, sessions, jobs, hall
    )
    kiosk.guide_print = GuidePrint(
        kiosk,
        sessions,
        jobs,
        BlobStore(settings.data_dir / "blobs", settings.blob_max_bytes),
        settings.hall_phone_url or settings.base_url,
    )
    build_queries(kiosk, settings, sessions)
    build_elderly(
        kiosk, settings, jobs, sessions
    )  # elderly: 高龄补贴 registration and certification
    kiosk.apply = ApplyService.of(kiosk, settings, jobs, sessions)
    build_certs(kiosk, settings, sessions, jobs)  # issue 15 certs: after the queries (otp)
    kiosk.reconcile = build_reconcile(settings, sessions, kiosk, kiosk.workers, kiosk.closers)
    build_forms(kiosk, settings, sessions, jobs)  # issue 15: e-forms, phone hand-off, print
    build_payments(kiosk, settings, sessions)  # 生活缴费: bills, orders, refunds
    build_print_audit(kiosk, settings, sessions, jobs)
    return kiosk
