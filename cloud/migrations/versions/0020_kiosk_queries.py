"""Convenience queries (issue 14): one-time codes with their identity tokens, and usage rows.

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kiosk_otps",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("person_hash", sa.String(64), nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("token_expires_at", _TS, nullable=True),
    )
    op.create_index("ix_kiosk_otps_person", "kiosk_otps", ["person_hash"])
    op.create_index("ix_kiosk_otps_phone_created", "kiosk_otps", ["phone_hash", "created_at"])
    op.create_table(
        "kiosk_query_usage",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("query", sa.String(48), nullable=False),
        sa.Column("department", sa.String(16), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )
    op.create_index("ix_kiosk_query_usage_site_at", "kiosk_query_usage", ["site", "at"])


def downgrade() -> None:
    op.drop_table("kiosk_query_usage")
    op.drop_table("kiosk_otps")
