"""Builds the e-form services on the kiosk parts: ``kiosk.forms`` (versions, publish, roll
back, seeded at start), the phone hand-offs and the A4 print."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import BlobStore
from cloud.jobs import JobService
from cloud.kiosk.forms_desk import FormDesk
from cloud.kiosk.forms_handoff import HandoffService
from cloud.kiosk.forms_print import FormPrint
from cloud.kiosk.forms_service import FormService
from cloud.kiosk.parts import Kiosk
from cloud.settings import Settings


def build_forms(
    kiosk: Kiosk,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    jobs: JobService,
) -> None:
    kiosk.forms = FormService(sessions)
    kiosk.workers.append(("forms-seed", kiosk.forms.seed_at_start))
    blobs = BlobStore(settings.data_dir / "blobs", settings.blob_max_bytes)
    phone = settings.forms_phone_url or settings.hall_phone_url or settings.base_url
    kiosk.form_desk = FormDesk(
        HandoffService(sessions, settings.forms_handoff_ttl_s),
        FormPrint(sessions, jobs, blobs),
        phone.rstrip("/"),
    )
