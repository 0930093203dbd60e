"""Merge this stop's parallel branches (0031 state shared by cloud workers, 0032 agent
releases and rollouts, 0033 call recordings; each from 0030) back into one line, so the next
revision has a single parent.

Revision ID: 0034
Revises: 0031, 0032, 0033
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0034"
down_revision: str | Sequence[str] | None = ("0031", "0032", "0033")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
