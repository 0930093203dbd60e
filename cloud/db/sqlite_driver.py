"""aiosqlite, one hand-off to its thread per statement instead of three or four (issue 17).

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches and closes it in separate
round trips between the event loop and aiosqlite's worker thread; each costs tens of µs of CPU
(a future, a queue, a thread switch and a wake-up of the loop), far more than SQLite's own work
on a small statement. :class:`OneHopCursor` does all four in one function on that thread and
keeps what it returned (rows, description, rowcount, lastrowid). Transactions, isolation and
errors are unchanged: the same ``sqlite3`` connection runs the same statements in the same
order. :class:`OneHopConnection` skips the hand-off of a commit or rollback when SQLite has no
transaction open and no statement is on its way to the thread: ``sqlite3`` itself does nothing
then (a session that only read, the long-poll's). Server-side cursors (streamed results) keep
SQLAlchemy's own cursor, counted as on their way too.

A transaction that only writes after its reads (the ack group commit, :mod:`cloud.acks`) may
defer its writes (:func:`deferred_writes`): they go to the thread with its commit, in one
hand-off, all or nothing; an UPDATE it marks must change exactly one row, or the whole batch
rolls back with :class:`StaleDataError` (the optimistic ``version`` check, done on the thread).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

#: (description, rows, rowcount, lastrowid) of one statement
Outcome = tuple[Any, list[Any], int, int | None]


def _run(
    conn: sqlite3.Connection,
    operation: str,
    parameters: Any,
    many: bool,
    landed: Callable[[], None],
) -> Outcome:
    """One statement from cursor to close, on aiosqlite's thread; ``landed`` when it is over."""
    try:
        cursor = conn.cursor()
    except BaseException:
        landed()
        raise
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        # after the fetch: a RETURNING statement counts its rows as they are read
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()
        landed()


#: (statement, parameters, executemany, must change exactly one row) of a deferred write
Write = tuple[str, Any, bool, bool]


@dataclass(slots=True)
class DeferredWrites:
    """Writes held back until their transaction's commit (see :func:`deferred_writes`)."""

    writes: list[Write] = field(default_factory=list)
    #: the next statement is an UPDATE that must change exactly one row (set just before it)
    expect_one_row: bool = False


def _write_all(cursor: sqlite3.Cursor, writes: Sequence[Write]) -> None:
    for operation, parameters, many, one_row in writes:
        if many:
            cursor.executemany(operation, parameters)
            continue
        cursor.execute(operation, () if parameters is None else parameters)
        if one_row and cursor.rowcount != 1:
            raise StaleDataError("a row changed since it was read (its version moved on)")


def _commit_writes(
    conn: sqlite3.Connection, writes: Sequence[Write], landed: Callable[[], None]
) -> None:
    """Deferred writes, then COMMIT, on aiosqlite's thread: all or nothing."""
    try:
        cursor = conn.cursor()
        try:
            _write_all(cursor, writes)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            cursor.close()
    finally:
        landed()


async def _held() -> None:
    """What a held-back write awaits: nothing (no hand-off)."""


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement is run, fetched and closed in one hand-off."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no cursor made on the thread
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # the base's close() then has no hop
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # None before an INSERT, as sqlite3

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing to close: the statement's cursor was closed on the thread."""

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if self._deferred(operation, parameters, many=False):
            return None
        try:
            return await_(self._hop(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        if self._deferred(operation, seq_of_parameters, many=True):
            return None
        try:
            return await_(self._hop(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def _deferred(self, operation: str, parameters: Any, *, many: bool) -> bool:
        """Hold a write back for the commit; a statement that returns rows is never held."""
        batch: DeferredWrites | None = self._adapt_connection._batch  # type: ignore[attr-defined]
        if batch is None or operation.lstrip()[:6].upper() not in ("INSERT", "UPDATE"):
            return False
        if "RETURNING" in operation.upper():
            return False
        one_row, batch.expect_one_row = batch.expect_one_row, False
        if many:  # a list: SQLAlchemy may reuse the sequence it passed
            parameters = list(parameters)
        batch.writes.append((operation, parameters, many, one_row))
        self._description, self._rowcount, self._lastrowid = None, -1, None
        self._rows = collections.deque()
        await_(_held())  # SQLAlchemy's async execution insists on one await per statement
        return True

    async def _hop(self, operation: Any, parameters: Any, *, many: bool) -> None:
        conn: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        if adapted._batch is not None and adapted._batch.writes:
            raise RuntimeError("a read after deferred writes would not see them")
        async with adapted._execute_mutex:
            raw = conn._conn
            # a call refused by a closed connection never lands: the count then keeps every
            # commit and rollback of that dead connection going to the driver, as before
            adapted.sent()
            outcome: Outcome = await conn._execute(  # type: ignore[no-untyped-call]
                _run, raw, operation, parameters, many, adapted.landed
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    def nextset(self) -> None:
        """sqlite3 has one result set per statement."""

    def setinputsizes(self, *inputsizes: Any) -> None:
        """sqlite3 ignores input sizes."""


class StreamingCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """SQLAlchemy's server-side cursor; its statement counts as on its way until it ran."""

    __slots__ = ()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        adapted: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        sqlite_cursor: sqlite3.Cursor = self._cursor._cursor  # type: ignore[attr-defined]

        def run() -> None:
            try:
                sqlite_cursor.execute(operation, () if parameters is None else parameters)
            finally:
                adapted.landed()

        async with adapted._execute_mutex:
            adapted.sent()
            await self._connection._execute(run)
        return self._cursor


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """Hands out :class:`OneHopCursor` s; ends a transaction only when SQLite has one."""

    __slots__ = ("_batch", "_landed", "_sent")
    _cursor_cls = OneHopCursor
    _ss_cursor_cls = StreamingCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        #: statements handed to the thread (counted on the event loop only) and run to their
        #: end (counted on the thread only): one writer each, so no count is ever lost; a
        #: stale ``_landed`` read on the loop only makes a statement look still pending
        self._sent = 0
        self._landed = 0
        #: writes held back for the commit while :func:`deferred_writes` is active
        self._batch: DeferredWrites | None = None

    def sent(self) -> None:
        self._sent += 1

    def landed(self) -> None:
        self._landed += 1

    def _nothing_to_end(self) -> bool:
        """True when ``sqlite3``'s commit or rollback would do nothing (it checks SQLite's
        autocommit flag itself) and no statement that could open a transaction is pending.
        Checked in that order: a statement lands only after it began its transaction."""
        if self._sent != self._landed:
            return False
        raw: sqlite3.Connection | None = self._connection._connection
        return raw is None or not raw.in_transaction

    def commit(self) -> None:
        if self._batch is not None and self._batch.writes:
            writes, self._batch.writes = self._batch.writes, []
            try:
                await_(self._commit_writes(writes))
            except Exception as error:
                self._handle_exception(error)
        elif not self._nothing_to_end():
            super().commit()

    async def _commit_writes(self, writes: list[Write]) -> None:
        conn: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._execute_mutex:
            self.sent()
            await conn._execute(_commit_writes, conn._conn, writes, self.landed)  # type: ignore[no-untyped-call]

    def rollback(self) -> None:
        if self._batch is not None:  # writes never sent are dropped: nothing else to undo
            self._batch.writes = []
        if not self._nothing_to_end():
            super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI shim, handing out :class:`OneHopConnection` s."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    """The ``module`` to give ``create_async_engine`` for a ``sqlite+aiosqlite`` URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)


@asynccontextmanager
async def deferred_writes(conn: AsyncConnection) -> AsyncIterator[DeferredWrites | None]:
    """Hold the INSERTs and UPDATEs of ``conn`` back until its commit, which sends them in the
    same hand-off (SQLite; ``None`` elsewhere: nothing is deferred). Reads come first: one
    after a held write raises. Errors of the writes (a duplicate key, a stale row) are then
    raised by the commit. Enter it outside the transaction (``conn.begin()``), so the commit
    happens inside it."""
    raw = (await conn.get_raw_connection()).dbapi_connection
    if not isinstance(raw, OneHopConnection):
        yield None
        return
    if raw._batch is not None:
        raise RuntimeError("deferred_writes is already active on this connection")
    raw._batch = batch = DeferredWrites()
    try:
        yield batch
    finally:
        raw._batch = None
        if batch.writes:  # the block left without a commit or rollback
            raise RuntimeError("deferred writes were neither committed nor rolled back")
