"""Builds the print/copy audit into the kiosk parts (its recorder is one of their workers)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import BlobStore
from cloud.kiosk.parts import Kiosk
from cloud.print_audit import PrintAudit
from cloud.settings import Settings


def build_print_audit(
    kiosk: Kiosk, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    kiosk.print_audit = PrintAudit(
        sessions,
        BlobStore(settings.data_dir / "blobs", settings.blob_max_bytes),
        settings.print_audit_content_days,
        settings.print_audit_every_s,
    )
    kiosk.workers.append(("print-audit", kiosk.print_audit.run))
