"""Telemetry: the newest value of each series (``cloud.db.telemetry_latest``), and each
device's heartbeat period from its birth (``devices.heartbeat_s``, ``fleet.liveness``).

Issue 12's other tables come in revisions that each start from this one (0008 telemetry
store, 0009 alerts, 0010 notifications, 0011 liveness); ``0012`` merges them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("heartbeat_s", sa.Float(), nullable=True))
    op.create_table(
        "tele_latest",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("series_key", sa.String(length=400), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "name", "series_key"),
    )
    op.create_index("ix_tele_latest_name_device", "tele_latest", ["name", "device_id"])
    op.create_index("ix_tele_latest_site", "tele_latest", ["site"])


def downgrade() -> None:
    op.drop_index("ix_tele_latest_site", table_name="tele_latest")
    op.drop_index("ix_tele_latest_name_device", table_name="tele_latest")
    op.drop_table("tele_latest")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("heartbeat_s")
