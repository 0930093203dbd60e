"""Authenticated callers kept a few seconds per credential (issue 17: the cost of a job).

Resolving a credential costs two or three ``SELECT`` in a session of its own, on every request:
a job's submission, its long-poll and its proof upload paid six statements and three sessions
for it. A principal that resolved is kept for :data:`TTL_S` seconds under a digest of the
credential that was presented (a wrong secret is a different key, never a hit), and never past
the credential's own expiry.

Never longer than it stays true: every write that could change a cached answer — a token,
session, user, device credential, site, or a device's revocation or site — is seen on this
cloud's engine (the statement's text, so ORM flushes and bulk updates alike), and when the
connection that wrote it goes back to the pool, i.e. after its commit, the whole cache is
dropped here and a ``auth`` hub notice tells the other cloud workers (``cloud.hub_relay``) to
drop theirs. A lookup that was reading while the cache was dropped does not store what it
read. A write from another process on the same database (the CLI) is seen after ``TTL_S``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from cloud.auth.principal import Principal
from cloud.auth.resolve import Resolved
from cloud.auth.secrets import digest
from cloud.hub import ChangeHub

#: how long a resolved caller is trusted without reading the database again
TTL_S = 5.0
#: entries kept at most (the oldest go first)
MAX_ENTRIES = 20_000
#: the hub key whose notices drop the cache (in every worker)
HUB_KEY = "auth"
_FLAG = "kfleet_auth_changed"
#: tables any change to which may change a cached answer
_IDENTITY_TABLES = frozenset(
    {"api_tokens", "users", "user_sessions", "device_credentials", "sites"}
)
#: per table, columns whose change alone changes no cached answer (``last_used``/``last_seen``
#: touches: the cache checks expiry itself, and a session's idle expiry only grows)
_TOUCH_COLUMNS = {
    "api_tokens": frozenset({"last_used_at"}),
    "user_sessions": frozenset({"last_seen_at", "expires_at"}),
    "device_credentials": frozenset({"last_used_at"}),
}
#: the only columns of ``devices`` a device's principal depends on
_DEVICE_COLUMNS = frozenset({"id", "site_id", "revoked_at"})


def changes_identity(sql: str) -> bool:
    """Whether statement ``sql`` may change a caller's identity (false positives are safe)."""
    head = sql.lstrip()[:7].upper()
    if head.startswith("DELETE"):
        words = sql.split(None, 3)
        table = words[2].strip('"') if len(words) > 2 else ""
        return table in _IDENTITY_TABLES or table == "devices"
    if not head.startswith("UPDATE"):
        return False
    words = sql.split(None, 2)
    table = words[1].strip('"') if len(words) > 1 else ""
    if table != "devices" and table not in _IDENTITY_TABLES:
        return False
    sets = sql.split(" WHERE ", 1)[0].partition(" SET ")[2]
    columns = {part.split("=", 1)[0].strip().strip('"') for part in sets.split(",")}
    if table == "devices":
        return bool(columns & _DEVICE_COLUMNS) or not sets
    return not columns <= _TOUCH_COLUMNS.get(table, frozenset())


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    until_mono: float
    #: the credential's own expiry (wall clock, naive or aware as the database gives it)
    expires_at: datetime | None
    #: a console session's CSRF token, checked on every unsafe request
    csrf: str | None


class PrincipalCache:
    """Callers by credential digest, dropped on any identity write (here and via the hub)."""

    def __init__(self, engine: AsyncEngine | None, hub: ChangeHub | None) -> None:
        self._entries: dict[str, _Entry] = {}
        self._epoch = 0
        self._hub = hub
        self.hits = self.misses = self.drops = 0
        if hub is not None:
            hub.on_notice(HUB_KEY, self._dropped_elsewhere)
        if engine is not None:
            event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
            event.listen(engine.sync_engine, "checkin", self._checkin)

    def get(self, credential: str, now: datetime) -> _Entry | None:
        key = digest(credential)
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.until_mono <= time.monotonic() or (
            entry.expires_at is not None and entry.expires_at <= now
        ):
            self._entries.pop(key, None)
            self.misses += 1
            return None
        self.hits += 1
        return entry

    async def resolve(
        self, credential: str, ip: str, load: Callable[[], Awaitable[Resolved]]
    ) -> Principal:
        """The caller ``load()`` reads, stored unless the cache was dropped while it read."""
        epoch = self._epoch
        found = await load()
        if epoch == self._epoch:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            principal = replace(found.principal, ip="")
            until = time.monotonic() + TTL_S
            self._entries[digest(credential)] = _Entry(
                principal, until, found.expires_at, found.csrf
            )
        return replace(found.principal, ip=ip)

    def drop_all(self) -> None:
        """Forget every caller (this worker only)."""
        self._entries.clear()
        self._epoch += 1
        self.drops += 1

    def _dropped_elsewhere(self, _value: str) -> None:
        self.drop_all()

    def _statement(self, conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if changes_identity(sql):
            conn.info[_FLAG] = True
            self.drop_all()

    def _checkin(self, _dbapi_conn: Any, record: Any) -> None:
        info = getattr(record, "info", None)
        if info is not None and info.pop(_FLAG, False):
            # after the commit (or rollback): here at once, the other workers by the hub
            self.drop_all()
            if self._hub is not None:
                self._hub.publish(HUB_KEY, "changed")
