"""The content versions of each site (migration ``0015``): every floor plan and window-info
body ever published, and the drafts (uploaded plans not yet published).

A published row has its ``version`` (growing per site and kind, ``fleet.content``) and the
exact body that went to the screens, so a rollback republishes it byte for byte under a new
number. A draft has no version: it records an uploaded image (so only images uploaded for
this site can be published for it, and the console can reopen an unfinished edit).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow

DRAFT = "draft"
PUBLISHED = "published"


class HallContent(Base):
    __tablename__ = "hall_content"
    __table_args__ = (
        UniqueConstraint("site_id", "kind", "version", name="uq_hall_content_version"),
        Index("ix_hall_content_site_kind", "site_id", "kind", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    #: ``protocols.hall`` content name: ``floorplan`` or ``windows``
    kind: Mapped[str] = mapped_column(String(16))
    #: None for a draft; 1, 2, 3… once published
    version: Mapped[int | None] = mapped_column(Integer)
    #: ``draft`` or ``published``
    state: Mapped[str] = mapped_column(String(16))
    #: the body as published (JSON of ``FloorPlanBody`` / ``WindowsBody``); a draft's partial one
    body: Mapped[dict[str, Any]] = mapped_column()
    #: every blob the body names (plan image, staff photos): devices of the site may read them
    blobs: Mapped[list[Any]] = mapped_column(default=list)
    #: the version this one rolled back to (its body came from there), if it is a rollback
    rolled_back_to: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    published_at: Mapped[datetime | None] = mapped_column()
    published_by: Mapped[str] = mapped_column(String(120), default="")
