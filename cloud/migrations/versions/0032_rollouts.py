"""Staged agent rollouts (issue 17): releases, rollouts and their devices.

Revision ID: 0032
Revises: 0030
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
#: byte order on PostgreSQL: a subtree's LIKE prefix is an index range in any locale
_SITE_PATH = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "agent_releases",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("protocol", sa.Integer(), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("notes", sa.String(500), nullable=False),
        sa.Column("built_at", sa.String(40), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(170), nullable=False),
    )
    op.create_table(
        "rollouts",
        sa.Column("id", sa.String(27), primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("site_path", _SITE_PATH, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("waves", sa.JSON(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("wave_started_at", _TS, nullable=False),
        sa.Column("health_window_s", sa.Integer(), nullable=False),
        sa.Column("max_failures", sa.Integer(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(170), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_index("ix_rollouts_state", "rollouts", ["state"])
    op.create_table(
        "rollout_devices",
        sa.Column("rollout_id", sa.String(27), primary_key=True),
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("site_path", _SITE_PATH, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("from_version", sa.String(64), nullable=False),
        sa.Column("ordered_at", _TS, nullable=True),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("rollback_sent_at", _TS, nullable=True),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_rollout_devices_wave", "rollout_devices", ["rollout_id", "wave"])


def downgrade() -> None:
    op.drop_index("ix_rollout_devices_wave", table_name="rollout_devices")
    op.drop_table("rollout_devices")
    op.drop_index("ix_rollouts_state", table_name="rollouts")
    op.drop_table("rollouts")
    op.drop_table("agent_releases")
