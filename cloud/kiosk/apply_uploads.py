"""Which kiosk uploaded which application page, in the database (``kiosk_page_uploads``).

A kiosk uploads its scanned pages and files the application in separate requests, which a
load balancer may send to different cloud workers; the help desk's material review (issue 16)
asks the same from yet another. A dict in one worker's memory would refuse a page another
worker took, so every worker reads and writes this table. The pages themselves are blobs in
``<data_dir>/blobs``, which several workers must share (docs/operations.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class PageUpload(Base):
    """One uploaded page not yet filed: the kiosk that sent it, and when."""

    __tablename__ = "kiosk_page_uploads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(index=True)


class PageUploads:
    """The uploads of every worker; a page older than ``ttl_s`` is no longer anyone's."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl_s: float) -> None:
        self._sessions = sessions
        self._ttl = timedelta(seconds=ttl_s)

    async def record(self, sha256: str, device_id: str) -> list[str]:
        """``device_id`` uploaded ``sha256`` now; returns the pages gone stale (never filed),
        whose rows are deleted here and whose blobs the caller deletes."""
        now = utcnow()
        async with self._sessions() as s:
            stale = list(
                await s.scalars(
                    select(PageUpload.sha256).where(PageUpload.uploaded_at <= now - self._ttl)
                )
            )
            await s.execute(delete(PageUpload).where(PageUpload.sha256.in_([*stale, sha256])))
            s.add(PageUpload(sha256=sha256, device_id=device_id, uploaded_at=now))
            await s.commit()
        return [sha for sha in stale if sha != sha256]

    async def owner(self, sha256: str) -> str | None:
        """The kiosk that uploaded the page within the last ``ttl_s``, else None."""
        async with self._sessions() as s:
            row = await s.get(PageUpload, sha256)
        if row is None or utcnow() - row.uploaded_at > self._ttl:
            return None
        return row.device_id

    async def forget(self, pages: list[str]) -> None:
        async with self._sessions() as s:
            await s.execute(delete(PageUpload).where(PageUpload.sha256.in_(pages)))
            await s.commit()
