"""The e-forms' tables (migration ``0023``): every saved version of every form, which version
citizens fill now, and the phone hand-offs (手机扫码填表).

A hand-off row holds what the citizen typed on the phone only until the kiosk takes it (once)
or the link expires; then the data column is emptied. The link's token is stored as its hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class FormVersionRow(Base):
    """One version of one form, as saved (never changed afterwards)."""

    __tablename__ = "form_versions"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the :class:`protocols.eform.FormDef` as JSON
    definition: Mapped[dict[str, Any]] = mapped_column()
    note: Mapped[str] = mapped_column(String(200), default="")
    author: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormCurrentRow(Base):
    """The version of a form citizens fill now (published, or rolled back to)."""

    __tablename__ = "form_current"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(120), default="")


class FormHandoffRow(Base):
    """One phone link: made by a kiosk, filled once on a phone, taken once by that kiosk."""

    __tablename__ = "form_handoffs"
    __table_args__ = (Index("ix_form_handoffs_expires", "expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(64))
    #: ``waiting`` (link not used yet), ``filled`` (data waits for the kiosk), ``taken``
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    #: what the phone sent, until the kiosk takes it
    data: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
