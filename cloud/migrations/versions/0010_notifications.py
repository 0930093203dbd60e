"""Notifications: the record and work queue of the message service (``cloud.notify.rows``).

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notify_deliveries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("notice_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("rule_name", sa.String(length=128), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("notice", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_key", "channel", name="uq_notify_key_channel"),
    )
    op.create_index("ix_notify_state_next", "notify_deliveries", ["state", "next_at"])
    op.create_index("ix_notify_alert", "notify_deliveries", ["alert_id"])
    op.create_index("ix_notify_deliveries_channel", "notify_deliveries", ["channel"])
    op.create_index("ix_notify_deliveries_site", "notify_deliveries", ["site"])


def downgrade() -> None:
    for name in (
        "ix_notify_deliveries_site",
        "ix_notify_deliveries_channel",
        "ix_notify_alert",
        "ix_notify_state_next",
    ):
        op.drop_index(name, table_name="notify_deliveries")
    op.drop_table("notify_deliveries")
