"""Payment reconciliation (issue 15, banks): runs and the differences they found.

Revision ID: 0027
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pay_reconciliations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ran_at", _TS, nullable=False),
        sa.Column("trigger", sa.String(8), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("error", sa.String(300), nullable=False),
        sa.Column("ledger_lines", sa.Integer(), nullable=False),
        sa.Column("ledger_net_fen", sa.Integer(), nullable=False),
        sa.Column("statement_lines", sa.Integer(), nullable=False),
        sa.Column("statement_net_fen", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("mismatched", sa.Integer(), nullable=False),
    )
    op.create_index("ix_pay_reconciliations_channel_day", "pay_reconciliations", ["channel", "day"])
    op.create_table(
        "pay_reconciliation_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.String(32),
            sa.ForeignKey("pay_reconciliations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("out_trade_no", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("out_refund_no", sa.String(64), nullable=False),
        sa.Column("ledger_fen", sa.Integer(), nullable=True),
        sa.Column("statement_fen", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("trade_no", sa.String(64), nullable=False),
    )
    op.create_index("ix_pay_reconciliation_items_run_id", "pay_reconciliation_items", ["run_id"])


def downgrade() -> None:
    op.drop_table("pay_reconciliation_items")
    op.drop_table("pay_reconciliations")
