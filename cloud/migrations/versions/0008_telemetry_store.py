"""The SQL default's telemetry store: raw points and 5-minute rollups
(``cloud.db.telemetry_points``); the stop-gap ``metrics`` table goes (nothing read it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _series() -> list[sa.Column[object]]:
    return [
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("series_key", sa.String(length=400), nullable=False),
    ]


def _where() -> list[sa.Column[object]]:
    return [
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "tele_points",
        *_series(),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        *_where(),
        sa.PrimaryKeyConstraint("device_id", "name", "series_key", "ts_ms"),
    )
    op.create_index("ix_tele_points_name_site_ts", "tele_points", ["name", "site", "ts_ms"])
    op.create_index("ix_tele_points_ts", "tele_points", ["ts_ms"])
    op.create_table(
        "tele_rollups",
        *_series(),
        sa.Column("bucket_ms", sa.BigInteger(), nullable=False),
        sa.Column("vcount", sa.Integer(), nullable=False),
        sa.Column("vsum", sa.Float(), nullable=False),
        sa.Column("vmin", sa.Float(), nullable=False),
        sa.Column("vmax", sa.Float(), nullable=False),
        sa.Column("vlast", sa.Float(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        *_where(),
        sa.PrimaryKeyConstraint("device_id", "name", "series_key", "bucket_ms"),
    )
    op.create_index(
        "ix_tele_rollups_name_site_bucket", "tele_rollups", ["name", "site", "bucket_ms"]
    )
    op.create_index("ix_tele_rollups_bucket", "tele_rollups", ["bucket_ms"])
    op.drop_index("ix_metrics_device_name_ts", table_name="metrics")
    op.drop_index(op.f("ix_metrics_ts"), table_name="metrics")
    op.drop_table("metrics")


def downgrade() -> None:
    op.create_table(
        "metrics",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_metrics_device_name_ts", "metrics", ["device_id", "name", "ts"])
    op.create_index(op.f("ix_metrics_ts"), "metrics", ["ts"])
    for index in ("ix_tele_rollups_bucket", "ix_tele_rollups_name_site_bucket"):
        op.drop_index(index, table_name="tele_rollups")
    op.drop_table("tele_rollups")
    for index in ("ix_tele_points_ts", "ix_tele_points_name_site_ts"):
        op.drop_index(index, table_name="tele_points")
    op.drop_table("tele_points")
