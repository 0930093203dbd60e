"""Builds the print/copy audit and 自助复印 into the kiosk parts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import BlobStore
from cloud.jobs import JobService
from cloud.kiosk.copy import CopyService
from cloud.kiosk.parts import Kiosk
from cloud.print_audit import PrintAudit
from cloud.settings import Settings


def build_print_audit(
    kiosk: Kiosk,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    jobs: JobService,
) -> None:
    """The audit (its recorder a kiosk worker) and 自助复印, whose copies it records."""
    kiosk.print_audit = PrintAudit(
        sessions,
        BlobStore(settings.data_dir / "blobs", settings.blob_max_bytes),
        settings.print_audit_content_days,
        settings.print_audit_every_s,
        ZoneInfo(settings.print_audit_timezone),
    )
    kiosk.workers.append(("print-audit", kiosk.print_audit.run))
    kiosk.copy = CopyService(sessions, jobs)
