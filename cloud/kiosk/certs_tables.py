"""The certificates' tables (migration ``0025``): every certificate issued at a kiosk (what the
verification page answers from), and every social security card change (its idempotency).

The holder appears only masked (张*明, 6328**********0137: what the public verification page
shows) and as an HMAC under the cloud's secret key; the full name and ID number the licence
library needs are kept encrypted (AES-GCM) only until the certificate is reported, then
dropped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class KioskCertificate(Base):
    __tablename__ = "kiosk_certificates"
    __table_args__ = (
        UniqueConstraint("device_id", "request_id", name="uq_kiosk_certificates_request"),
        Index("ix_kiosk_certificates_library_state", "library_state"),
    )

    #: the number printed on the paper and sealed in its QR code
    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(16))
    #: the department's own document number, if it gave one
    dept_doc_no: Mapped[str] = mapped_column(String(64), default="")
    holder_hash: Mapped[str] = mapped_column(String(64))
    holder_masked: Mapped[str] = mapped_column(String(64))
    id_masked: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    device_id: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(200))
    #: the kiosk's request id: the same again answers this certificate, printed once
    request_id: Mapped[str] = mapped_column(String(64))
    #: sha256 of the printed PDF (the print audit matches it)
    sha256: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str] = mapped_column(String(64), default="")
    #: ``pending`` (not yet in the 电子证照库), ``reported``
    library_state: Mapped[str] = mapped_column(String(16), default="pending")
    library_id: Mapped[str] = mapped_column(String(64), default="")
    report_tries: Mapped[int] = mapped_column(Integer, default=0)
    #: the holder's name and ID number for the report, encrypted; None once reported
    report_secret: Mapped[bytes | None] = mapped_column(LargeBinary)


class KioskCardChange(Base):
    """One 社会保障卡挂失/解挂 asked at a kiosk; ``id`` is the business serial the department
    receives (the same serial again changes nothing there)."""

    __tablename__ = "kiosk_card_changes"
    __table_args__ = (
        UniqueConstraint("device_id", "request_id", name="uq_kiosk_card_changes_request"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64))
    #: ``loss`` or ``unloss``
    action: Mapped[str] = mapped_column(String(8))
    person_hash: Mapped[str] = mapped_column(String(64))
    #: ``pending`` (asked; the department's answer not yet had), ``done``
    state: Mapped[str] = mapped_column(String(16), default="pending")
    card_masked: Mapped[str] = mapped_column(String(32), default="")
    #: the card's state the department answered (``lost``, ``normal``) and when
    card_state: Mapped[str] = mapped_column(String(16), default="")
    done_at_text: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    job_id: Mapped[str] = mapped_column(String(64), default="")
