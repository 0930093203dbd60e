"""Certificates issued at kiosks and social security card changes (issue 15, certs).

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kiosk_certificates",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("department", sa.String(16), nullable=False),
        sa.Column("dept_doc_no", sa.String(64), nullable=False),
        sa.Column("holder_hash", sa.String(64), nullable=False),
        sa.Column("holder_masked", sa.String(64), nullable=False),
        sa.Column("id_masked", sa.String(32), nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("library_state", sa.String(16), nullable=False),
        sa.Column("library_id", sa.String(64), nullable=False),
        sa.Column("report_tries", sa.Integer(), nullable=False),
        sa.Column("report_secret", sa.LargeBinary(), nullable=True),
        sa.UniqueConstraint("device_id", "request_id", name="uq_kiosk_certificates_request"),
    )
    op.create_index("ix_kiosk_certificates_library_state", "kiosk_certificates", ["library_state"])
    op.create_table(
        "kiosk_card_changes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("person_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("card_masked", sa.String(32), nullable=False),
        sa.Column("card_state", sa.String(16), nullable=False),
        sa.Column("done_at_text", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.UniqueConstraint("device_id", "request_id", name="uq_kiosk_card_changes_request"),
    )


def downgrade() -> None:
    op.drop_table("kiosk_card_changes")
    op.drop_index("ix_kiosk_certificates_library_state", "kiosk_certificates")
    op.drop_table("kiosk_certificates")
