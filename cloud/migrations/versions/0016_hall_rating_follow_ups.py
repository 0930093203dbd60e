"""好差评 (issue 13): the ratings asked of window pads, and the follow-ups of 差评.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hall_rating_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False, unique=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False, unique=True),
        sa.Column("ticket_no", sa.String(8), nullable=False),
        sa.Column("case_no", sa.String(64), nullable=False),
        sa.Column("queue_code", sa.String(32), nullable=False),
        sa.Column("window_no", sa.String(8), nullable=False),
        sa.Column("staff_no", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("peripheral", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.String(500), nullable=False),
        sa.Column("asked_at", _TS, nullable=False),
    )
    op.create_index("ix_hall_rating_requests_state", "hall_rating_requests", ["state"])
    op.create_table(
        "hall_follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column(
            "rating_id", sa.Integer(), sa.ForeignKey("hall_ratings.id"), nullable=False, unique=True
        ),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("window_no", sa.String(8), nullable=False),
        sa.Column("staff_no", sa.String(16), nullable=False),
        sa.Column("ticket_no", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("assignee", sa.String(64), nullable=False),
        sa.Column("reminders", sa.JSON(), nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("closed_by", sa.String(128), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
    )
    op.create_index("ix_hall_follow_ups_site_id", "hall_follow_ups", ["site_id"])
    op.create_index("ix_hall_follow_ups_state_due", "hall_follow_ups", ["state", "due_at"])


def downgrade() -> None:
    op.drop_table("hall_follow_ups")
    op.drop_table("hall_rating_requests")
