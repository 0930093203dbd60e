"""The hall queue (issue 13): tickets, the per-queue-per-day number counters and the per-site
version of the live calling state.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _str(name: str, n: int) -> sa.Column[str]:
    return sa.Column(name, sa.String(n), nullable=False)


def upgrade() -> None:
    op.create_table(
        "hall_tickets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        _str("queue_code", 32),
        _str("service_code", 32),
        _str("ticket_no", 8),
        _str("day", 10),
        _str("state", 16),
        _str("source", 16),
        sa.Column("priority", sa.Boolean(), nullable=False),
        _str("appointment_id", 64),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("called_at", _TS, nullable=True),
        sa.Column("served_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        _str("window_no", 8),
        _str("for_window", 8),
        _str("staff_no", 16),
        sa.Column("recalls", sa.Integer(), nullable=False),
        _str("case_no", 64),
        sa.Column("transferred_from", sa.Integer(), nullable=True),
        sa.Column("transferred_to", sa.Integer(), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index(
        "ix_hall_tickets_waiting", "hall_tickets", ["site_id", "state", "queue_code", "issued_at"]
    )
    op.create_index("ix_hall_tickets_window", "hall_tickets", ["site_id", "window_no", "state"])
    op.create_index("ix_hall_tickets_day", "hall_tickets", ["site_id", "day"])
    op.create_table(
        "hall_ticket_counters",
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), primary_key=True),
        sa.Column("queue_code", sa.String(32), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "hall_live_seq",
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("hall_live_seq", "hall_ticket_counters", "hall_tickets"):
        op.drop_table(table)
