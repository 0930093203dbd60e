"""Merge issue 12's parallel branches (0008 telemetry store, 0009 alerts, 0010 notifications,
0011 liveness) back into one line, so the next revision has a single parent.

Revision ID: 0012
Revises: 0008, 0009, 0010, 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | Sequence[str] | None = ("0008", "0009", "0010", "0011")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
