"""E-forms (issue 15): form versions, the current version of each form, phone hand-offs.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "form_versions",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("author", sa.String(120), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "form_current",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", _TS, nullable=False),
        sa.Column("published_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "form_handoffs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
    )
    op.create_index("ix_form_handoffs_expires", "form_handoffs", ["expires_at"])


def downgrade() -> None:
    op.drop_table("form_handoffs")
    op.drop_table("form_current")
    op.drop_table("form_versions")
