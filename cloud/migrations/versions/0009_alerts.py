"""Alerts: rules, alerts (one open per rule and subject), their history, silences; and the
default rules every fleet starts with (operators edit or disable them on the console).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = datetime(2026, 12, 6, tzinfo=UTC)
#: (name, kind, params, severity, for_s, repeat_s)
DEFAULT_RULES = (
    ("paper out", "peripheral", {"conditions": ["paper_out"], "kinds": []}, "major", 0, 3600),
    (
        "printer offline",
        "peripheral",
        {"conditions": ["offline"], "kinds": ["receipt_printer", "a4_printer", "printer"]},
        "major",
        60,
        3600,
    ),
    (
        "device silent 5 min",
        "presence",
        {"after_s": 300, "states": ["offline", "silent"]},
        "critical",
        0,
        3600,
    ),
    (
        "disk over 90 %",
        "metric",
        {"name": "sys.disk_pct", "op": ">", "threshold": 90, "absolute": False, "tags": {}},
        "warning",
        300,
        86400,
    ),
    (
        "job failure rate",
        "job_failure",
        {"window_s": 3600, "min_jobs": 5, "rate": 0.5, "per": "device"},
        "major",
        0,
        3600,
    ),
)


def _dt() -> sa.types.TypeEngine[datetime]:
    return sa.DateTime(timezone=True)


def _tables() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("for_s", sa.Float(), nullable=False),
        sa.Column("repeat_s", sa.Float(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _dt(), nullable=False),
        sa.Column("updated_at", _dt(), nullable=False),
        sa.Column("updated_by", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("open_key", sa.String(length=220), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.String(length=1024), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("started_at", _dt(), nullable=False),
        sa.Column("fired_at", _dt(), nullable=True),
        sa.Column("ended_at", _dt(), nullable=True),
        sa.Column("acked_at", _dt(), nullable=True),
        sa.Column("acked_by", sa.String(length=160), nullable=False),
        sa.Column("ack_note", sa.String(length=500), nullable=False),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.Column("last_notice_at", _dt(), nullable=True),
        sa.Column("updated_at", _dt(), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rules.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    op.create_index("ix_alerts_state_started", "alerts", ["state", "started_at"])
    op.create_index("ix_alerts_rule_subject", "alerts", ["rule_id", "subject"])
    op.create_index("ix_alerts_site", "alerts", ["site"])
    op.create_index("ix_alerts_device_id", "alerts", ["device_id"])


def _history() -> None:
    op.create_table(
        "alert_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", _dt(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("message", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_events_alert_id", "alert_events", ["alert_id"])
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("starts_at", _dt(), nullable=False),
        sa.Column("ends_at", _dt(), nullable=False),
        sa.Column("created_by", sa.String(length=160), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", _dt(), nullable=False),
        sa.Column("expired_by", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rules.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_silences_rule_id", "silences", ["rule_id"])
    op.create_index("ix_silences_ends_at", "silences", ["ends_at"])


def _seed() -> None:
    rules = sa.table(
        "alert_rules",
        *(
            sa.column(c)
            for c in (
                "name",
                "kind",
                "severity",
                "for_s",
                "repeat_s",
                "site",
                "enabled",
                "updated_by",
            )
        ),
        sa.column("params", sa.JSON()),
        sa.column("channels", sa.JSON()),
        sa.column("created_at", _dt()),
        sa.column("updated_at", _dt()),
    )
    op.bulk_insert(
        rules,
        [
            {
                "name": name,
                "kind": kind,
                "params": params,
                "severity": severity,
                "for_s": float(for_s),
                "repeat_s": float(repeat_s),
                "site": "",
                "enabled": True,
                "updated_by": "migration 0009",
                "channels": [],
                "created_at": _NOW,
                "updated_at": _NOW,
            }
            for name, kind, params, severity, for_s, repeat_s in DEFAULT_RULES
        ],
    )


def upgrade() -> None:
    _tables()
    _history()
    _seed()


def downgrade() -> None:
    op.drop_table("silences")
    op.drop_table("alert_events")
    op.drop_table("alerts")
    op.drop_table("alert_rules")
