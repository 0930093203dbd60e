"""The cloud databases every fault case runs on: SQLite (the cloud's default, a file in its
data dir) and a fresh PostgreSQL database per test, made on the server of
``KFLEET_TEST_DATABASE_URL`` and dropped afterwards.

PostgreSQL is where concurrency is real (a pool of connections, row locks, unique-index waits);
SQLite serialises a process's transactions on one connection. A fault that is harmless on one
may not be on the other, so the suite runs each case on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy.engine import make_url

SQLITE = "sqlite"
POSTGRES = "postgres"
#: ``params`` of the database fixture; the PostgreSQL runs carry the ``postgres`` mark
PARAMS = [SQLITE, pytest.param(POSTGRES, marks=pytest.mark.postgres)]


def _admin(server_url: str) -> str:
    """A libpq URL (psycopg's) of the server's maintenance database."""
    url = make_url(server_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def has_schema(url: str) -> bool:
    """Whether a cloud migrated the database at ``url`` (a SQLAlchemy URL): its ``jobs`` table
    exists. A ``[postgres]`` run whose cloud never did ran on SQLite without saying so."""
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn:
        row = conn.execute("SELECT to_regclass('public.jobs') IS NOT NULL").fetchone()
    return bool(row and row[0])


@contextmanager
def fresh_postgres(server_url: str, name: str) -> Iterator[str]:
    """``CREATE DATABASE name`` on the server of ``server_url`` (a SQLAlchemy URL); yields the
    new database's SQLAlchemy URL and drops it (``WITH (FORCE)``: a SIGKILLed cloud may leave
    sessions behind until the server notices) when the block ends."""
    admin = _admin(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
