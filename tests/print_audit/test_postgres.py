"""The print audit on PostgreSQL: the rollup's upsert adds up across records, two recorders
(two cloud processes) running at once record and count each job once, and the report from
the rollup equals the count of the records themselves."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from cloud.db.models import utcnow
from cloud.print_audit import PrintAudit
from cloud.print_audit_daily import total_jobs
from cloud.print_audit_query import Filter, _raw_counts, report
from tests.faults.databases import fresh_postgres
from tests.print_audit.kit import HHL, TICKET, audit_env, pdf_of

pytestmark = pytest.mark.postgres


async def test_two_recorders_count_each_job_once(
    tmp_path: Path, amqtt_url: str, postgres_url: str, uid: str
) -> None:
    with fresh_postgres(postgres_url, f"kfprintaudit_{uid}") as url:
        async with audit_env(tmp_path, amqtt_url, uid, database_url=url) as env:
            doc = await env.blob(pdf_of(2))
            for _ in range(3):
                await env.printed(env.hhl, "print_receipt", TICKET, "ticket")
            await env.printed(env.tgls, "print_document", {"document": doc}, "certificate")
            other = PrintAudit(env.parts.sessions, env.parts.blobs, 30, tz=env.audit.tz)
            got = await asyncio.gather(env.audit.record_pending(), other.record_pending())
            assert sum(got) == 4  # each job by one of them
            async with env.parts.sessions() as s:
                assert await total_jobs(s, "qh") == 4
                assert await total_jobs(s, HHL) == 3
                now = utcnow()
                where = Filter("qh", now - timedelta(days=3), now + timedelta(days=1))
                rows = await report(s, where, "day", env.audit.tz)
                raw = await _raw_counts(s, where, env.audit.tz)
            assert sorted((r.period, r.purpose, r.jobs, r.pages) for r in rows) == sorted(raw)
            assert {r.purpose: r.pages for r in rows} == {"ticket": 3, "certificate": 2}
