"""Merge issue 13's parallel branches (0014 queue tickets, 0015 content versions, 0016 rating
requests and follow-ups) back into one line, so the next revision has a single parent.

Revision ID: 0017
Revises: 0014, 0015, 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0017"
down_revision: str | Sequence[str] | None = ("0014", "0015", "0016")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
