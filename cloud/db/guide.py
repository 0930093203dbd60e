"""The service-guide catalogue as the console edits it (migration ``0018``).

The working copy is one row per item (its JSON document, exactly a ``protocols.guide.Item``),
per department and per theme; a publication freezes the working copy into one
``protocols.guide.Catalogue`` JSON blob and records it in ``guide_versions`` (the blob's sha256,
so the kiosks' copy and the one the cloud serves are the same bytes).

An item marked ``draft`` stays out of the next publication (an editor can save half a
situation); ``sample`` marks items that came from the project's sample catalogue, and a
publication that holds any is flagged as sample data on every kiosk screen. ``revision``
grows at every save: an editor who saves over a newer revision gets a 409, not a silent loss.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class GuideItem(Base):
    __tablename__ = "guide_items"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: the item (``protocols.guide.Item`` as JSON)
    body: Mapped[dict[str, Any]] = mapped_column()
    #: left out of publications until an editor clears it
    draft: Mapped[bool] = mapped_column(default=False)
    #: came from the sample catalogue (guide_sample); shown as sample data when published
    sample: Mapped[bool] = mapped_column(default=False)
    #: 1 at creation, +1 at every save (optimistic concurrency for the editor)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(160), default="")


class GuideDepartment(Base):
    __tablename__ = "guide_departments"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(160), default="")


class GuideTheme(Base):
    __tablename__ = "guide_themes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(160), default="")


class GuideVersion(Base):
    """One publication: the catalogue's version number and the blob holding its JSON."""

    __tablename__ = "guide_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    published_at: Mapped[datetime] = mapped_column()
    published_by: Mapped[str] = mapped_column(String(160))
    blob_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    sample: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(500), default="")
