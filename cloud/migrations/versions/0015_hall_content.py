"""The hall's content versions (issue 13): published floor plans and window information per
site, and uploaded drafts.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hall_content",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("blobs", sa.JSON(), nullable=False),
        sa.Column("rolled_back_to", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("published_at", _TS, nullable=True),
        sa.Column("published_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("site_id", "kind", "version", name="uq_hall_content_version"),
    )
    op.create_index("ix_hall_content_site_kind", "hall_content", ["site_id", "kind", "state"])


def downgrade() -> None:
    op.drop_index("ix_hall_content_site_kind", table_name="hall_content")
    op.drop_table("hall_content")
