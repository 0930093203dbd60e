"""A device that says online but has been quiet too long is marked silent (``fleet.liveness``):
``silent_since`` records it once per silence, so the event is written once and survives a
cloud restart. ``birth_id`` is the envelope id of the birth applied last, so the broker's
retained copy of it, redelivered when the cloud reconnects, is not taken for a sign of life.

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("silent_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("birth_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("birth_id")
        batch_op.drop_column("silent_since")
