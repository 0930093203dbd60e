"""Remote-help calls and the operators' duty (issue 16, the call centre).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
#: byte order on PostgreSQL: a subtree's LIKE prefix is an index range in any locale
_SITE_PATH = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "help_calls",
        sa.Column("call_id", sa.String(27), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("site_path", _SITE_PATH, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("screen", sa.String(64), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("ringing_to", sa.String(170), nullable=True),
        sa.Column("ringing_since", _TS, nullable=True),
        sa.Column("rung", sa.JSON(), nullable=False),
        sa.Column("operator", sa.String(170), nullable=True),
        sa.Column("operator_name", sa.String(128), nullable=False),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(12), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("ended_reason", sa.String(200), nullable=False),
        sa.Column("recording", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("device_id", "request_id", name="uq_help_calls_request"),
    )
    op.create_index("ix_help_calls_state", "help_calls", ["state"])
    op.create_index("ix_help_calls_site_created", "help_calls", ["site_path", "created_at"])
    op.create_index("ix_help_calls_created", "help_calls", ["created_at"])
    op.create_table(
        "help_duty",
        sa.Column("operator", sa.String(170), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("since", _TS, nullable=False),
        sa.Column("free_since", _TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("help_duty")
    op.drop_table("help_calls")
