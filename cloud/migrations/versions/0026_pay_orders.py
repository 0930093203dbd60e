"""Utility payments (issue 15): payment orders, the notifications received, refunds.

Revision ID: 0026
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pay_orders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("out_trade_no", sa.String(32), nullable=False, unique=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("utility", sa.String(16), nullable=False),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("holder_masked", sa.String(64), nullable=False),
        sa.Column("company", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("bill_no", sa.String(64), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("flag", sa.String(32), nullable=False),
        sa.Column("qr_content", sa.String(512), nullable=False),
        sa.Column("trade_no", sa.String(64), nullable=False),
        sa.Column("paid_amount_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.Column("writeback", sa.String(16), nullable=False),
        sa.Column("receipt_prints", sa.Integer(), nullable=False),
        sa.Column("receipt_job_id", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("paid_at", _TS, nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.UniqueConstraint("device_id", "request_id", name="uq_pay_orders_request"),
    )
    op.create_index("ix_pay_orders_state_expires", "pay_orders", ["state", "expires_at"])
    op.create_index("ix_pay_orders_channel_paid", "pay_orders", ["channel", "paid_at"])
    op.create_index("ix_pay_orders_created", "pay_orders", ["created_at"])
    op.create_table(
        "pay_notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("notify_id", sa.String(128), nullable=False),
        sa.Column("out_trade_no", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("source_ip", sa.String(64), nullable=False),
    )
    op.create_index("ix_pay_notifications_at", "pay_notifications", ["at"])
    op.create_table(
        "pay_refunds",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("order_id", sa.String(32), nullable=False),
        sa.Column("out_refund_no", sa.String(40), nullable=False, unique=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("refunded_at", _TS, nullable=True),
    )
    op.create_index("ix_pay_refunds_order", "pay_refunds", ["order_id"])


def downgrade() -> None:
    op.drop_table("pay_refunds")
    op.drop_table("pay_notifications")
    op.drop_table("pay_orders")
