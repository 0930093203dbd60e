"""Merge issue 15's parallel branches (0023 e-forms, 0025 certificates, 0026 payment orders,
0027 payment reconciliation, 0028 the print audit; each from 0022, a job's print purpose) back
into one line, so the next revision has a single parent.

Revision ID: 0029
Revises: 0023, 0025, 0026, 0027, 0028
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0029"
down_revision: str | Sequence[str] | None = ("0023", "0025", "0026", "0027", "0028")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
