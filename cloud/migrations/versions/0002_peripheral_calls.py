"""Peripheral calls: commands to a device's peripheral (LEDs, rating requests) and answers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peripheral_calls",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("peripheral", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=1024), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("peripheral_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_peripheral_calls_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_peripheral_calls_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("peripheral_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peripheral_calls_created_at"))
        batch_op.drop_index(batch_op.f("ix_peripheral_calls_device_id"))
    op.drop_table("peripheral_calls")
