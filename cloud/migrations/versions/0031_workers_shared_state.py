"""Several cloud workers (issue 17): what lived in one worker's memory, now shared.

``single_uses``: claimed single-use nonces (the 人脸核验 challenges), one winner per nonce
among every worker. ``kiosk_page_uploads``: which kiosk uploaded which application page,
asked by whichever worker files the application or reviews it in a help call.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "single_uses",
        sa.Column("scope", sa.String(32), primary_key=True),
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.create_index("ix_single_uses_expires_at", "single_uses", ["expires_at"])
    op.create_table(
        "kiosk_page_uploads",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("uploaded_at", _TS, nullable=False),
    )
    op.create_index("ix_kiosk_page_uploads_uploaded_at", "kiosk_page_uploads", ["uploaded_at"])


def downgrade() -> None:
    op.drop_table("kiosk_page_uploads")
    op.drop_table("single_uses")
