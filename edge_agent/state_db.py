"""Opening the agent's small SQLite files (job journal, outbox), and recovering from a corrupt
one with a record instead of a crash or a silent reset.

A file SQLite calls corrupt (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``, or a failing
``PRAGMA quick_check``) is read for whatever rows still come out of it, set aside as
``<name>.corrupt-<UTC time>`` (:mod:`edge_agent.set_aside`), and replaced by a fresh file
holding the rows that could be read. The caller logs a WARNING naming the set-aside file and
what was lost. Every other error (disk full, permissions) is not corruption: it is raised,
for the caller's own policy.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.set_aside import SQLITE_COMPANIONS, set_aside

_CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


@dataclass(frozen=True, slots=True)
class Recovery:
    """A corrupt file was replaced: where it went, why, and how many rows came out of it."""

    aside: Path
    why: str
    salvaged: int


def is_corruption(err: sqlite3.Error) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _CORRUPT_CODES


def open_db(
    path: Path,
    schema: str,
    salvage: Callable[[sqlite3.Connection], list[tuple[Any, ...]]],
    restore: Callable[[sqlite3.Connection, list[tuple[Any, ...]]], None],
) -> tuple[sqlite3.Connection, Recovery | None]:
    """Open ``path`` (WAL, ``synchronous=FULL``) with ``schema``; if it is corrupt, read the
    rows ``salvage`` can get, set the file aside, and ``restore`` them into a fresh one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open_checked(path, schema), None
    except sqlite3.DatabaseError as err:
        if not is_corruption(err):
            raise
        why = " ".join(str(err).split())
    rows = _salvage(path, salvage)
    aside = set_aside(path, SQLITE_COMPANIONS)
    db = _open_checked(path, schema)
    restore(db, rows)
    return db, Recovery(aside, why, len(rows))


class _Corrupt(sqlite3.DatabaseError):
    sqlite_errorcode = sqlite3.SQLITE_CORRUPT


def _open_checked(path: Path, schema: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise _Corrupt(" ".join(" ".join(str(p) for p in problems[:3]).split()))
        db.executescript(schema)
    except BaseException:
        db.close()
        raise
    return db


def _salvage(
    path: Path, salvage: Callable[[sqlite3.Connection], list[tuple[Any, ...]]]
) -> list[tuple[Any, ...]]:
    """The rows ``salvage`` reads from the corrupt file before it fails (often none)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        return salvage(db)
    except sqlite3.Error:
        return []
    finally:
        with contextlib.suppress(sqlite3.Error):
            db.close()


def read_rows(db: sqlite3.Connection, query: str) -> list[tuple[Any, ...]]:
    """Rows of ``query`` up to the first one the damaged file cannot give."""
    rows: list[tuple[Any, ...]] = []
    with contextlib.suppress(sqlite3.Error):
        for row in db.execute(query):
            rows.append(tuple(row))
    return rows
