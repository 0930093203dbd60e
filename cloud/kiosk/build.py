"""Builds the kiosk services (issue 14); each capability adds its own line here."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import BlobStore
from cloud.hall.parts import Hall
from cloud.jobs import JobService
from cloud.kiosk.appointments_build import build_appointments
from cloud.kiosk.cases import CaseService
from cloud.kiosk.catalogue_service import CatalogueService
from cloud.kiosk.guide_print import GuidePrint
from cloud.kiosk.parts import Kiosk
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
        kiosk.catalogue = CatalogueService(sessions, hall.content.blobs, hall.publisher)
        kiosk.workers.append(("catalogue-republish", kiosk.catalogue.republish_at_start))
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
    build_print_audit(kiosk, settings, sessions, jobs)
    return kiosk
