"""The print/copy audit (issue 15, 统一扎口): one row per succeeded print or copy job, and
its counts per day, kind and site scope (the reports' rollup).

Revision ID: 0028
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: byte order on PostgreSQL: a subtree's LIKE prefix is an index range in any locale
_SITE_PATH = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "print_audit",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(32), nullable=False, unique=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("site", _SITE_PATH, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("job_kind", sa.String(32), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=True),
        sa.Column("content_type", sa.String(40), nullable=False),
    )
    op.create_index("ix_print_audit_at", "print_audit", ["at"])
    op.create_index("ix_print_audit_site_at", "print_audit", ["site", "at"])
    op.create_index("ix_print_audit_content", "print_audit", ["content_sha256"])
    op.create_index("ix_print_audit_device_at", "print_audit", ["device_id", "at"])
    op.create_table(
        "print_audit_daily",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("purpose", sa.String(16), primary_key=True),
        sa.Column("jobs", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("print_audit_daily")
    op.drop_table("print_audit")
