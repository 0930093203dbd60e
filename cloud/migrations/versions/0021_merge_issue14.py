"""Merge issue 14's parallel branches (0018 the service-guide catalogue, 0019 appointments,
0020 convenience-query usage and one-time codes) back into one line, so the next revision has
a single parent.

Revision ID: 0021
Revises: 0018, 0019, 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0021"
down_revision: str | Sequence[str] | None = ("0018", "0019", "0020")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
