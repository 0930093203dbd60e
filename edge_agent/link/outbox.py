"""The durable outbox: what the agent must deliver waits on disk until the broker has it.

A kiosk on a village uplink loses its connection for minutes or hours and may be power-cycled
meanwhile. Every ack, event and telemetry batch is written here (SQLite, WAL) as a complete
envelope *before* it is sent, and its row is deleted only after the broker's PUBACK. After a
reconnect or a restart the rows are sent again in insertion order with the same envelope
``id``, so the cloud can drop the copies it already has. Birth and state are not outbox
traffic: they belong to one session and are made anew for each.

Bounds (``[outbox]`` in the agent config):

- past a soft bound (``max_rows`` or ``max_bytes``) telemetry is shed, oldest first
  (``shed_tele``); a new telemetry batch that still does not fit is shed itself;
- telemetry also has its own bound, ``tele_max_rows`` (``[tele] backlog_s`` worth of
  batches): past it the oldest batch is shed, so telemetry never crowds out acks and events;
- acks and events are never shed. They may exceed the soft bound up to ``hard_max_bytes``;
  past it new events are refused with an error logged (``refused_evt``). Acks are always
  kept: the cloud's job state depends on them, and the job queue already bounds them.

If SQLite cannot store a message (disk full, I/O error) it is held in memory instead
(``memory_fallback``), at most ``mqtt.outbox_size`` messages (past that, telemetry and events
are dropped, ``memory_dropped``; acks are still kept). A held message keeps its place in the
send order but is lost if the agent stops before it is sent. Every new message tries the disk
first, so the outbox recovers by itself once space is freed.

Calls are synchronous and short (one small row); the agent runs them on the event loop."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.config import OutboxSettings
from edge_agent.state_db import open_db, read_rows
from protocols.topics import DeviceChannel

TELE = DeviceChannel.TELE

log = logging.getLogger(__name__)

#: what may travel through the outbox (birth and state are made per session)
OUTBOX_CHANNELS = frozenset({DeviceChannel.ACK, DeviceChannel.EVT, TELE})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    ord        INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL,
    msg_id     TEXT NOT NULL,
    payload    BLOB NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_channel ON outbox (channel, ord);
"""


#: ``after(tele=...)``: how the channel compares with ``tele``
_CLASS = {True: "AND channel = ?", False: "AND channel != ?", None: "AND ? IS NOT NULL"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One message waiting for its PUBACK; ``ord`` is its place in the send order."""

    ord: int
    channel: DeviceChannel
    msg_id: str
    payload: bytes  # the encoded envelope; ``seq`` is stamped anew when sent (see restamp)

    @property
    def size(self) -> int:
        return len(self.payload)


def restamp(payload: bytes, seq: int) -> bytes:
    """The envelope with this session's ``seq`` (id, ts and mono stay those of its creation)."""
    env = json.loads(payload)
    env["seq"] = seq
    return json.dumps(env, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class Outbox:
    """A small SQLite file in the data directory, plus a bounded in-memory overflow."""

    def __init__(
        self,
        path: Path,
        settings: OutboxSettings,
        *,
        memory_max: int,
        tele_max_rows: int | None = None,
    ) -> None:
        self.path = path
        self.settings = settings
        self.tele_max_rows = tele_max_rows
        self.counters: Counter[str] = Counter()
        """``shed_tele``, ``refused_evt``, ``memory_fallback``, ``memory_dropped``..."""
        self._memory_max = memory_max
        self._memory: dict[int, Entry] = {}  # ord → entry the disk refused (insertion order)
        self._undeleted: set[int] = set()  # acknowledged, but their DELETE failed
        self._on_disk_failed = False
        self._rows = self._bytes = self._tele_rows = 0
        self._db = self._open(path)
        self._next_ord = 1
        if self._db is not None:
            rows, size, last = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(length(payload)), 0), COALESCE(MAX(ord), 0) "
                "FROM outbox"
            ).fetchone()
            self._rows, self._bytes, self._next_ord = rows, size, last + 1
            (self._tele_rows,) = self._db.execute(
                "SELECT COUNT(*) FROM outbox WHERE channel = 'tele'"
            ).fetchone()
            if rows:
                log.info("outbox: %d messages (%d bytes) from before are sent again", rows, size)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __len__(self) -> int:
        return self._rows

    @property
    def nbytes(self) -> int:
        return self._bytes

    @property
    def held_in_memory(self) -> int:
        return len(self._memory)

    # --- adding -----------------------------------------------------------------------------

    def metrics(self) -> dict[str, int]:
        """For telemetry: what waits, and what was shed, refused or held in memory."""
        c = self.counters
        return {
            "outbox_queued": len(self),
            "outbox_bytes": self.nbytes,
            "outbox_dropped": c["shed_tele"] + c["refused_evt"] + c["memory_dropped"],
            "outbox_shed_tele": c["shed_tele"],
            "outbox_refused_evt": c["refused_evt"],
            "outbox_memory_fallback": c["memory_fallback"],
            "outbox_memory_held": self.held_in_memory,
        }

    def put(self, channel: DeviceChannel, msg_id: str, payload: bytes) -> bool:
        """Store a message to send; False if it was shed or refused (and counted)."""
        if channel not in OUTBOX_CHANNELS:
            raise ValueError(f"{channel.value} messages do not go through the outbox")
        size = len(payload)
        if channel is TELE and not self._tele_room():
            self.counters["shed_tele"] += 1
            return False
        if not self._make_room(size):
            if channel is TELE:
                self.counters["shed_tele"] += 1
                return False
            if self._bytes + size > self.settings.hard_max_bytes:
                if channel is DeviceChannel.EVT:
                    self.counters["refused_evt"] += 1
                    log.error(
                        "outbox: refusing a new event: %d bytes of acks and events wait "
                        "(outbox.hard_max_bytes is %d); is the broker unreachable?",
                        self._bytes,
                        self.settings.hard_max_bytes,
                    )
                    return False
                self.counters["acks_over_hard_bound"] += 1
        entry = Entry(self._next_ord, channel, msg_id, payload)
        if not self._insert(entry) and not self._hold(entry):
            return False
        self._next_ord += 1
        self._rows += 1
        self._bytes += size
        self._tele_rows += channel is TELE
        return True

    def _tele_room(self) -> bool:
        """Shed the oldest telemetry until one more batch fits ``tele_max_rows``."""
        while self.tele_max_rows is not None and self._tele_rows >= self.tele_max_rows:
            oldest = self._oldest_tele()
            if oldest is None or not self._remove(oldest):
                return False
            self.counters["shed_tele"] += 1
        return True

    def _make_room(self, size: int) -> bool:
        """Shed the oldest telemetry until ``size`` more bytes fit the soft bounds."""
        limits = self.settings
        while self._rows + 1 > limits.max_rows or self._bytes + size > limits.max_bytes:
            oldest = self._oldest_tele()
            if oldest is None or not self._remove(oldest):
                return False
            self.counters["shed_tele"] += 1
        return True

    def _oldest_tele(self) -> Entry | None:
        found: Entry | None = None
        if self._db is not None:
            try:
                sql = "SELECT ord, msg_id, payload FROM outbox WHERE channel = 'tele' ORDER BY ord"
                row = self._db.execute(sql + " LIMIT 1").fetchone()
            except sqlite3.Error as err:
                log.warning("outbox: cannot read %s: %s", self.path, err)
                row = None
            if row is not None:
                found = Entry(row[0], TELE, row[1], row[2])
        held = next((e for e in self._memory.values() if e.channel is TELE), None)
        if held is not None and (found is None or held.ord < found.ord):
            found = held
        return found

    def _insert(self, entry: Entry) -> bool:
        if self._db is None:
            return False
        try:
            self._db.execute(
                "INSERT INTO outbox (ord, channel, msg_id, payload, created_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (entry.ord, entry.channel.value, entry.msg_id, entry.payload, _now_ms()),
            )
        except sqlite3.Error as err:
            self.counters["memory_fallback"] += 1
            if not self._on_disk_failed:
                self._on_disk_failed = True
                log.error(
                    "outbox: cannot store a %s message in %s (%s); holding it and the next "
                    "ones that fail in memory (at most mqtt.outbox_size = %d): they are lost "
                    "if the agent stops before they are sent",
                    entry.channel.value,
                    self.path,
                    err,
                    self._memory_max,
                )
            return False
        if self._on_disk_failed:
            self._on_disk_failed = False
            log.warning(
                "outbox: %s stores messages again (%d still held in memory)",
                self.path,
                len(self._memory),
            )
        return True

    def _hold(self, entry: Entry) -> bool:
        if len(self._memory) >= self._memory_max and entry.channel is not DeviceChannel.ACK:
            self.counters["memory_dropped"] += 1
            log.error(
                "outbox: dropping a %s message: the disk refuses it and %d messages are "
                "already held in memory (mqtt.outbox_size)",
                entry.channel.value,
                len(self._memory),
            )
            return False
        self._memory[entry.ord] = entry
        return True

    # --- sending ----------------------------------------------------------------------------

    def after(self, cursor: int, limit: int, *, tele: bool | None = None) -> list[Entry]:
        """Up to ``limit`` messages following ``cursor`` (an ``ord``; 0 = from the oldest):
        telemetry only (``tele=True``), acks and events only (False), or all (None)."""
        if limit <= 0:
            return []
        if self._undeleted:
            self._retry_deletes()
        found: list[Entry] = []
        if self._db is not None:
            try:
                rows = self._db.execute(
                    "SELECT ord, channel, msg_id, payload FROM outbox WHERE ord > ? "
                    f"{_CLASS[tele]} ORDER BY ord LIMIT ?",
                    (cursor, TELE.value, limit + len(self._undeleted)),
                ).fetchall()
            except sqlite3.Error as err:
                log.warning("outbox: cannot read %s: %s", self.path, err)
                rows = []
            found = [
                Entry(r[0], DeviceChannel(r[1]), r[2], r[3])
                for r in rows
                if r[0] not in self._undeleted
            ]
        held = self._memory.items()
        found += [e for o, e in held if o > cursor and tele in (None, e.channel is TELE)]
        found.sort(key=lambda e: e.ord)
        return found[:limit]

    def ack(self, entry: Entry) -> None:
        """The broker has ``entry``: forget it (a no-op if it was shed meanwhile)."""
        self._remove(entry)

    def _remove(self, entry: Entry) -> bool:
        if self._memory.pop(entry.ord, None) is not None:
            self._forget(entry)
            return True
        if self._db is None:
            return False
        try:
            # A delete need not reach the disk at once: lost in a power cut, it only means the
            # message is sent again after the restart, and the cloud drops the copy. Without
            # the fsync each delivered message costs one disk flush instead of two.
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                deleted = self._db.execute(
                    "DELETE FROM outbox WHERE ord = ?", (entry.ord,)
                ).rowcount
            finally:
                self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as err:
            log.warning("outbox: cannot delete a sent message from %s: %s", self.path, err)
            self._undeleted.add(entry.ord)
            return False
        if deleted:
            self._forget(entry)
        return bool(deleted)

    def _forget(self, entry: Entry) -> None:
        self._rows -= 1
        self._bytes -= entry.size
        self._tele_rows -= entry.channel is TELE

    def _retry_deletes(self) -> None:
        assert self._db is not None  # only a database refuses a delete
        for ord_ in sorted(self._undeleted):
            try:
                row = self._db.execute(
                    "DELETE FROM outbox WHERE ord = ? RETURNING length(payload), channel",
                    (ord_,),
                ).fetchone()
            except sqlite3.Error:
                return
            self._undeleted.discard(ord_)
            if row is not None:
                self._rows -= 1
                self._bytes -= row[0]
                self._tele_rows -= row[1] == TELE.value

    # --- opening ----------------------------------------------------------------------------

    def _open(self, path: Path) -> sqlite3.Connection | None:
        """The database, or None (everything is held in memory) if it cannot be opened.

        A corrupt file is set aside (``outbox.sqlite3.corrupt-<time>``) and replaced by a new
        one holding the messages that could still be read (:mod:`edge_agent.state_db`)."""
        try:
            # synchronous=FULL: a stored message survives a power cut
            db, recovery = open_db(path, _SCHEMA, _salvage, _restore)
        except (OSError, sqlite3.Error) as err:
            log.error(
                "outbox: cannot open %s (%s); messages are held in memory only and are lost "
                "if the agent stops before they are sent",
                path,
                err,
            )
            return None
        if recovery is not None:
            self.counters["recovered_corrupt"] += 1
            log.warning(
                "outbox: %s was corrupt (%s): moved it to %s and started a new one with the "
                "%d message(s) that could still be read. Acks, events and telemetry stored "
                "only in the damaged part are lost; the cloud learns the outcome of a job whose "
                "ack was lost when it sends the job again (this device answers a known job "
                "with its latest ack)",
                path,
                recovery.why,
                recovery.aside,
                recovery.salvaged,
            )
        return db


def _salvage(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return read_rows(db, "SELECT ord, channel, msg_id, payload, created_ms FROM outbox")


def _restore(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    channels = {c.value for c in OUTBOX_CHANNELS}
    for row in rows:
        ord_, channel, msg_id, payload, created = row
        whole = isinstance(ord_, int) and channel in channels and isinstance(msg_id, str)
        if not (whole and isinstance(payload, bytes) and isinstance(created, int)):
            continue  # a damaged page can still give rows of garbage: keep only whole ones
        with contextlib.suppress(sqlite3.Error):
            db.execute(
                "INSERT INTO outbox (ord, channel, msg_id, payload, created_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                row,
            )


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
