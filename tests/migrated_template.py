"""One migrated SQLite database per test process, copied into each test's fresh database.

Nearly every cloud a test starts is on a new SQLite file, and ``cloud.db.migrate.upgrade``
ran all of Alembic's migrations on each (≈0.25 s CPU, a second of wall time on a loaded
machine, for every test). Here the first fresh database of the process is migrated for real
into a template, and each later upgrade of a database FILE THAT DOES NOT EXIST YET starts from a
copy of it; the real upgrade then runs on the copy and finds it at the head (a no-op), so
what the app does at startup is unchanged. A file that exists (a test's own older schema, a
restarted cloud, a downgrade) and PostgreSQL always get the real upgrade, and so does a test
marked ``real_migrations`` (the migrations' own tests) or a run with
``KFLEET_TEST_MIGRATED_TEMPLATE=0``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from cloud.db import migrate
from cloud.db.session import make_engine

Upgrade = Callable[[AsyncEngine], Awaitable[None]]

#: the real ``cloud.db.migrate.upgrade``, kept before any test replaces it
REAL_UPGRADE: Upgrade = migrate.upgrade


def enabled() -> bool:
    """False when ``KFLEET_TEST_MIGRATED_TEMPLATE=0`` (to compare, or to rule the copy out)."""
    return os.environ.get("KFLEET_TEST_MIGRATED_TEMPLATE", "1") != "0"


def new_sqlite_file(engine: AsyncEngine) -> Path | None:
    """The file of a SQLite engine when it does not exist yet (so no connection of the engine
    has opened it: SQLite creates the file on opening), else None."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.query:
        return None  # not a plain file (a URI filename, an in-memory database): Alembic itself
    path = Path(url.database)
    # a -wal left without its database would be replayed onto the copy: not new then
    around = (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
    return None if any(p.exists() for p in around) else path


class MigratedTemplate:
    """The process's migrated SQLite file, made by the real upgrade on first use."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._file: Path | None = None

    async def file(self) -> Path:
        if self._file is None:
            self._dir = Path(tempfile.mkdtemp(prefix="kf-migrated-"))
            template = self._dir / "template.db"
            engine = make_engine(f"sqlite+aiosqlite:///{template}")
            try:
                await REAL_UPGRADE(engine)
            finally:
                await engine.dispose()
            with contextlib.closing(sqlite3.connect(template)) as conn:  # all in the one file
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._file = template
        return self._file

    async def upgrade(self, engine: AsyncEngine) -> None:
        """``cloud.db.migrate.upgrade`` starting from the template for a new SQLite file."""
        path = new_sqlite_file(engine)
        if path is not None:
            template = await self.file()
            if new_sqlite_file(engine) is not None:  # nothing opened it meanwhile
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(template, path)
        await REAL_UPGRADE(engine)

    def remove(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
