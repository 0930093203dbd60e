"""Call recordings (issue 16: optional recording of remote-help calls).

Revision ID: 0033
Revises: 0030
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "help_recordings",
        sa.Column("recording_id", sa.String(28), primary_key=True),
        sa.Column("call_id", sa.String(27), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("stream_id", sa.String(64), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("deleted_at", _TS, nullable=True),
        sa.UniqueConstraint("call_id", "side", name="uq_help_recordings_side"),
    )
    op.create_index("ix_help_recordings_started", "help_recordings", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_help_recordings_started", table_name="help_recordings")
    op.drop_table("help_recordings")
