"""Appointments (issue 14): slots with capacity and places held, bookings (no ID numbers: a
keyed hash and masked forms), and the per-day booking numbers behind the references.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _str(name: str, n: int) -> sa.Column[str]:
    return sa.Column(name, sa.String(n), nullable=False)


def _ts(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, _TS, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "appointment_slots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        _str("service_code", 32),
        _str("day", 10),
        _ts("starts_at"),
        _ts("ends_at"),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("site_id", "service_code", "starts_at", name="uq_appointment_slot"),
    )
    op.create_index("ix_appointment_slots_day", "appointment_slots", ["site_id", "day"])
    op.create_table(
        "appointment_bookings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ref", sa.String(16), nullable=False, unique=True),
        sa.Column("slot_id", sa.Integer(), sa.ForeignKey("appointment_slots.id"), nullable=False),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        _str("service_code", 32),
        _str("day", 10),
        _ts("starts_at"),
        _ts("ends_at"),
        _str("person", 64),
        _str("id_masked", 24),
        _str("name_masked", 32),
        _str("phone", 20),
        _str("state", 16),
        sa.Column("holding", sa.String(128), nullable=True, unique=True),
        sa.Column("sms_sent", sa.Boolean(), nullable=False),
        _str("booked_by", 64),
        _ts("booked_at"),
        _ts("ended_at", nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        _str("ticket_no", 8),
    )
    op.create_index("ix_appointment_bookings_person", "appointment_bookings", ["person"])
    op.create_index("ix_appointment_bookings_site_day", "appointment_bookings", ["site_id", "day"])
    op.create_index(
        "ix_appointment_bookings_state_end", "appointment_bookings", ["state", "ends_at"]
    )
    op.create_table(
        "appointment_counters",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("appointment_counters", "appointment_bookings", "appointment_slots"):
        op.drop_table(table)
