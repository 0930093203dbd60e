"""The schema the migrations build is the one ``cloud/db/models.py`` describes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

import cloud.alerts.tables  # alert rules, alerts, history, silences (migration 0009)
import cloud.db.guide  # issue 14: the service-guide catalogue (migration 0018)
import cloud.db.hall  # issue 13: the hall configuration (migration 0013)
import cloud.db.identity  # registers the identity tables on Base
import cloud.db.telemetry_latest
import cloud.db.telemetry_points  # issue 12: the SQL telemetry store
import cloud.hall.content_tables  # issue 13: content versions (migration 0015)
import cloud.hall.queue_tables  # issue 13: the queue's tickets (migration 0014)
import cloud.hall.ratings_tables  # issue 13: rating requests and follow-ups (migration 0016)
import cloud.help.calls_tables  # issue 16: remote-help calls and duty (migration 0030)
import cloud.help.recordings_tables  # issue 16: call recordings (migration 0033)
import cloud.kiosk.apply_uploads  # issue 17: page uploads shared by cloud workers (0031)
import cloud.kiosk.appointments_tables  # issue 14: appointments (migration 0019)
import cloud.kiosk.certs_tables  # issue 15: certificates, card changes (migration 0025)
import cloud.kiosk.forms_tables  # issue 15: e-forms and phone hand-offs (migration 0023)
import cloud.kiosk.pay.orders_tables  # issue 15: payment orders, notifications, refunds (0026)
import cloud.kiosk.pay.reconcile_tables  # issue 15: payment reconciliation (migration 0027)
import cloud.kiosk.queries_tables  # issue 14: one-time codes, query usage (migration 0020)
import cloud.notify.rows  # the message service's record (migration 0010)
import cloud.once  # issue 17: single-use nonces shared by cloud workers (migration 0031)
import cloud.print_audit_tables  # issue 15: the print/copy audit (migration 0028)
import cloud.rollouts.tables  # noqa: F401  (issue 17: rollouts, migration 0032; one noqa: the last)
from cloud.db import migrate
from cloud.db.models import Base
from cloud.db.session import make_engine


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, Base.metadata))


@pytest.mark.real_migrations  # Alembic itself, not a copy of the template (conftest.py)
async def test_migrations_build_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}")
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert diff == []
