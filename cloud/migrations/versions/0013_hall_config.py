"""The hall's configuration (issue 13): queues, services, windows and staff per site; and the
好差评 ratings (the queue, content and follow-up tables come in their own revisions).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hall_queues",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name_zh", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("site_id", "code", name="uq_hall_queue_code"),
    )
    op.create_index("ix_hall_queues_site_id", "hall_queues", ["site_id"])
    op.create_table(
        "hall_services",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name_zh", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.Column("queue_id", sa.Integer(), sa.ForeignKey("hall_queues.id"), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("site_id", "code", name="uq_hall_service_code"),
    )
    op.create_index("ix_hall_services_site_id", "hall_services", ["site_id"])
    op.create_index("ix_hall_services_queue_id", "hall_services", ["queue_id"])
    op.create_table(
        "hall_windows",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("number", sa.String(8), nullable=False),
        sa.Column("name_zh", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.Column("queue_codes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("staff_no", sa.String(16), nullable=False),
        sa.Column("roster", sa.JSON(), nullable=False),
        sa.Column("call_device", sa.String(64), nullable=False),
        sa.Column("call_button", sa.Integer(), nullable=False),
        sa.Column("rating_device", sa.String(64), nullable=False),
        sa.Column("rating_peripheral", sa.String(64), nullable=False),
        sa.Column("screen_device", sa.String(64), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("site_id", "number", name="uq_hall_window_number"),
    )
    op.create_index("ix_hall_windows_site_id", "hall_windows", ["site_id"])
    op.create_table(
        "hall_staff",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("staff_no", sa.String(16), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("title", sa.String(32), nullable=False),
        sa.Column("photo_sha256", sa.String(64), nullable=False),
        sa.Column("photo_media_type", sa.String(32), nullable=False),
        sa.Column("photo_size", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("site_id", "staff_no", name="uq_hall_staff_no"),
    )
    op.create_index("ix_hall_staff_site_id", "hall_staff", ["site_id"])
    op.create_table(
        "hall_ratings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("dedupe_key", sa.String(160), nullable=False, unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("ticket_no", sa.String(8), nullable=False),
        sa.Column("case_no", sa.String(64), nullable=False),
        sa.Column("window_no", sa.String(8), nullable=False),
        sa.Column("staff_no", sa.String(16), nullable=False),
        sa.Column("service_code", sa.String(32), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(500), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("asked_at", _TS, nullable=True),
        sa.Column("rated_at", _TS, nullable=False),
        sa.Column("fwd_state", sa.String(16), nullable=False),
        sa.Column("fwd_attempts", sa.Integer(), nullable=False),
        sa.Column("fwd_next_at", _TS, nullable=True),
        sa.Column("fwd_error", sa.String(500), nullable=False),
        sa.Column("fwd_ref", sa.String(64), nullable=False),
    )
    op.create_index("ix_hall_ratings_site_rated", "hall_ratings", ["site_id", "rated_at"])
    op.create_index("ix_hall_ratings_fwd_due", "hall_ratings", ["fwd_state", "fwd_next_at"])
    op.create_index("ix_hall_ratings_ticket_id", "hall_ratings", ["ticket_id"])


def downgrade() -> None:
    for table in ("hall_ratings", "hall_staff", "hall_windows", "hall_services", "hall_queues"):
        op.drop_table(table)
