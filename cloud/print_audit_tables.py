"""The print/copy audit's table (migration ``0028``): one row per print or copy job that
ended ``succeeded`` — what was put on paper, where, when, and the content's hash.

The row names no person: the content itself is a blob (kept ``print_audit_content_days``,
then deleted by the retention pass), the row keeps only its sha256 for ever, so a paper
shown later can still be matched against what was printed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, BigId

SITE_PATH = String(200).with_variant(String(200, collation="C"), "postgresql")


class PrintAuditRow(Base):
    """One printed or copied job (统一扎口: every certificate, form, guide and copy)."""

    __tablename__ = "print_audit"
    __table_args__ = (
        Index("ix_print_audit_at", "at"),
        Index("ix_print_audit_site_at", "site", "at"),
        Index("ix_print_audit_content", "content_sha256"),
        Index("ix_print_audit_device_at", "device_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: the job that printed it (one row per job, whatever path recorded it)
    job_id: Mapped[str] = mapped_column(String(32), unique=True)
    #: when the job ended succeeded (its last change)
    at: Mapped[datetime] = mapped_column()
    device_id: Mapped[str] = mapped_column(String(64))
    #: the site path of the job (the device's site); byte order on PostgreSQL, so a subtree
    #: (``LIKE 'qh/hx/%'``) is a range of ``ix_print_audit_site_at`` whatever the database's
    #: locale
    site: Mapped[str] = mapped_column(SITE_PATH)
    #: ``cloud.schemas.PrintPurpose``; a job without one counts as ``other``
    purpose: Mapped[str] = mapped_column(String(16))
    #: print_receipt, print_document or copy
    job_kind: Mapped[str] = mapped_column(String(32))
    pages: Mapped[int] = mapped_column(Integer)
    #: sha256 of what was printed: the PDF, the canonical receipt, the copy's page PDF
    sha256: Mapped[str] = mapped_column(String(64))
    #: the blob holding the content while it is kept; None once retention deleted it (or it
    #: never reached the cloud)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    #: ``application/pdf`` or ``application/json`` (a receipt's canonical lines)
    content_type: Mapped[str] = mapped_column(String(40))


class PrintAuditDaily(Base):
    """Jobs and pages per local day and kind, kept for the site of each job **and every site
    above it** (``qh``, ``qh/hx``, ``qh/hx/golmud``, ``qh/hx/golmud/hhl``): a report for any
    subtree then reads at most 366 × 10 rows of its own scope, however large the audit grows.
    Written with each record, in its transaction (so never counted twice)."""

    __tablename__ = "print_audit_daily"

    #: a site path; its row counts the jobs of its whole subtree
    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: the day in ``print_audit_timezone`` as it was when the job was recorded
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    jobs: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
