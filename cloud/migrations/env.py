"""Alembic environment: run with a connection handed over by ``cloud.db.migrate`` or, from the
``alembic`` command line, with the URL in ``alembic.ini`` / ``KFLEET_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import cloud.alerts.tables  # alert rules, alerts, history, silences (migration 0009)
import cloud.db.guide  # issue 14: the service-guide catalogue (migration 0018)
import cloud.db.hall  # issue 13: the hall configuration (migration 0013)
import cloud.db.identity  # registers the identity tables on Base
import cloud.db.telemetry_latest
import cloud.db.telemetry_points  # issue 12: the SQL telemetry store
import cloud.hall.content_tables  # issue 13: content versions (migration 0015)
import cloud.hall.queue_tables  # issue 13: the queue's tickets (migration 0014)
import cloud.hall.ratings_tables  # issue 13: rating requests and follow-ups (migration 0016)
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
from cloud.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (conn := config.attributes.get("connection")) is not None:
    _run(conn)
else:
    url = os.environ.get("KFLEET_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set KFLEET_DATABASE_URL (or sqlalchemy.url in alembic.ini)")
    asyncio.run(_run_async(url))
