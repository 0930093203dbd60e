"""Querying the audit log (cloud.audit_query) on SQLite and PostgreSQL: each filter, the
newest-first order, keyset pages that neither skip nor repeat, and the reader's subtree."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit_query as q
from cloud.errors import NotFound
from tests.audit.audit_db import T0, Row, write_rows

HHL = "qh/hx/golmud/hhl"
#: a sibling whose path begins with HHL's characters: must not count as HHL's subtree
HHL_LOOKALIKE = "qh/hx/golmud/hhl-2"
Sessions = async_sessionmaker[AsyncSession]

LOG = [
    Row("user:alice", "auth.login"),  # 0: no site
    Row("user:bob", "device.enroll", HHL, target="device:k1"),  # 1
    Row("token:ci", "job.create", f"{HHL}/w1"),  # 2
    Row("user:bob", "device.revoke", HHL_LOOKALIKE, "failed"),  # 3
    Row("anonymous", "auth.failed", "", "denied"),  # 4: no site
    Row("user:carol", "permission.denied", "qh/hx/delingha", "denied"),  # 5
    Row("user:al_x", "device.rotate", "qh/hx/golmud/a_b"),  # 6: '_' is not a wildcard
    Row("user:alx", "device.rotate", "qh/hx/golmud/axb"),  # 7
]


async def ids_of(sessions: Sessions, f: q.AuditFilter, scope: str = "qh") -> list[int]:
    async with sessions() as s:
        got = await q.page(s, f, scope, limit=q.MAX_PAGE)
    return [r.id for r in got.rows]


async def test_newest_first_and_each_filter(sessions: Sessions) -> None:
    ids = await write_rows(sessions, LOG)
    pick = lambda *i: [ids[n] for n in sorted(i, reverse=True)]  # noqa: E731
    assert await ids_of(sessions, q.AuditFilter()) == ids[::-1]
    assert await ids_of(sessions, q.AuditFilter(actor="user:bob")) == pick(1, 3)
    assert await ids_of(sessions, q.AuditFilter(actor="user:")) == pick(0, 1, 3, 5, 6, 7)
    assert await ids_of(sessions, q.AuditFilter(actor="user:al*")) == pick(0, 6, 7)
    assert await ids_of(sessions, q.AuditFilter(actor="user:al_*")) == pick(6)
    assert await ids_of(sessions, q.AuditFilter(actor="USER:BOB")) == []  # exact, not folded
    assert await ids_of(sessions, q.AuditFilter(action="device.")) == pick(1, 3, 6, 7)
    assert await ids_of(sessions, q.AuditFilter(action="device.rotate")) == pick(6, 7)
    assert await ids_of(sessions, q.AuditFilter(result="denied")) == pick(4, 5)
    assert await ids_of(sessions, q.AuditFilter(site=HHL)) == pick(1, 2)
    assert await ids_of(sessions, q.AuditFilter(site="qh/hx/golmud/a_b")) == pick(6)
    assert await ids_of(sessions, q.AuditFilter(action="device.", result="failed")) == pick(3)


async def test_time_range_is_from_inclusive_to_exclusive(sessions: Sessions) -> None:
    ids = await write_rows(sessions, LOG)
    f = q.AuditFilter(since=T0 + timedelta(seconds=2), until=T0 + timedelta(seconds=5))
    assert await ids_of(sessions, f) == [ids[4], ids[3], ids[2]]
    # the same instant written in another zone is the same instant
    east8 = T0.astimezone(timezone(timedelta(hours=8)))
    assert await ids_of(sessions, q.AuditFilter(until=east8 + timedelta(seconds=1))) == [ids[0]]


async def test_pages_follow_the_cursor_without_gaps_or_repeats(sessions: Sessions) -> None:
    # many rows at the SAME instant: the id breaks the tie, so no row is lost between pages
    rows = [Row(f"user:u{i}", "job.create", HHL) for i in range(23)]
    ids = await write_rows(sessions, rows[:10])
    ids += await write_rows(sessions, rows[10:], start=T0)  # same times again
    seen: list[int] = []
    order: list[tuple[datetime, int]] = []
    cursor: int | None = None
    while True:
        async with sessions() as s:
            got = await q.page(s, q.AuditFilter(site=HHL), "qh", limit=5, cursor=cursor)
        assert len(got.rows) <= 5
        seen += [r.id for r in got.rows]
        order += [(r.at, r.id) for r in got.rows]
        if got.next_cursor is None:
            break
        cursor = got.next_cursor
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    assert order == sorted(order, reverse=True)


async def test_page_size_is_bounded_and_a_full_last_page_has_no_cursor(sessions: Sessions) -> None:
    await write_rows(sessions, [Row("user:a", "auth.login")] * 4)
    async with sessions() as s:
        huge = await q.page(s, q.AuditFilter(), "qh", limit=10**9)
        exact = await q.page(s, q.AuditFilter(), "qh", limit=4)
    assert len(huge.rows) == 4 and huge.next_cursor is None
    assert len(exact.rows) == 4 and exact.next_cursor is None
    assert q.MAX_PAGE <= 500


async def test_unknown_cursor_is_refused(sessions: Sessions) -> None:
    async with sessions() as s:
        with pytest.raises(NotFound, match="names no audit row"):
            await q.page(s, q.AuditFilter(), "qh", cursor=999_999)


async def test_reader_sees_only_their_subtree_and_siteless_rows_only_at_the_root(
    sessions: Sessions,
) -> None:
    ids = await write_rows(sessions, LOG)
    pick = lambda *i: [ids[n] for n in sorted(i, reverse=True)]  # noqa: E731
    # root reader: everything, including logins and refusals that have no site
    assert await ids_of(sessions, q.AuditFilter(), "qh") == ids[::-1]
    # a town's auditor: that town's rows, not its look-alike sibling, no siteless rows
    assert await ids_of(sessions, q.AuditFilter(), HHL) == pick(1, 2)
    # a prefecture's auditor: its subtree, still no siteless rows (it is not the root)
    assert await ids_of(sessions, q.AuditFilter(), "qh/hx") == pick(1, 2, 3, 5, 6, 7)
    # asking for an ancestor of one's scope gives one's own subtree, not more
    assert await ids_of(sessions, q.AuditFilter(site="qh"), HHL) == pick(1, 2)
    # asking for a site outside one's scope gives nothing (and says nothing about it)
    assert await ids_of(sessions, q.AuditFilter(site="qh/hx/delingha"), HHL) == []
    # a prefix filter cannot reach past the scope either
    assert await ids_of(sessions, q.AuditFilter(actor="user:"), HHL) == pick(1)
    # another tree's root sees only its own tree's rows and the siteless ones
    assert await ids_of(sessions, q.AuditFilter(), "gs") == pick(0, 4)


async def test_a_prefix_ending_in_the_last_unicode_character(sessions: Sessions) -> None:
    top = chr(0x10FFFF)
    ids = await write_rows(sessions, [Row(f"user:{top}a", "auth.login"), Row("user:~", "x.y")])
    assert await ids_of(sessions, q.AuditFilter(actor=f"user:{top}*")) == [ids[0]]


def test_match_value_prefix_rules() -> None:
    assert q.match_value("user:") == ("user:", True)
    assert q.match_value("device.") == ("device.", True)
    assert q.match_value("user:al*") == ("user:al", True)
    assert q.match_value("user:alice") == ("user:alice", False)
    assert q.is_root_scope("qh") and not q.is_root_scope("qh/hx")
