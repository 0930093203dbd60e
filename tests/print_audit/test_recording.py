"""Every print or copy job that ends succeeded is recorded once — time, device, site, kind,
pages, the content's sha256 — whatever made it; failed jobs and captures are not. The
content is kept as long as the retention setting says, then deleted; the hash stays."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cloud import print_audit
from cloud.db.models import utcnow
from cloud.print_audit import canonical_receipt
from cloud.print_audit_tables import PrintAuditDaily
from protocols.jobs import AckState
from tests.print_audit.kit import HHL, TGLS, TICKET, AuditEnv, audit_env, pdf_of

RECORDS = "/api/v1/print-audit/records"


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str, uid: str) -> AsyncIterator[AuditEnv]:
    async with audit_env(tmp_path, amqtt_url, uid) as e:
        yield e


async def _rows(env: AuditEnv, **params: Any) -> list[dict[str, Any]]:
    r = await env.admin.get(RECORDS, params=params)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["rows"]
    return rows


async def test_each_kind_of_print_is_recorded_with_its_content_hash(env: AuditEnv) -> None:
    pdf = pdf_of(3)
    doc = await env.blob(pdf)
    guide = await env.printed(env.hhl, "print_document", {"document": doc, "copies": 2}, "guide")
    ticket = await env.printed(env.tgls, "print_receipt", TICKET, "ticket")
    page = pdf_of(1)
    page_sha = await env.blob(page)  # the agent uploaded the copy's page under its grant
    copy_result = {"page": {"sha256": page_sha, "bytes": len(page)}, "document_sha256": page_sha}
    copy = await env.printed(
        env.hhl, "copy", {"purpose": "办理户籍业务"}, "copy", result=copy_result
    )
    unnamed = await env.printed(env.tgls, "print_receipt", TICKET, None)
    assert await env.audit.record_pending() == 4
    assert await env.audit.record_pending() == 0  # once per job, however often it looks
    rows = {r["job_id"]: r for r in await _rows(env)}
    assert set(rows) == {guide, ticket, copy, unnamed}
    g = rows[guide]
    assert (g["kind"], g["job_kind"], g["site"], g["device_id"]) == (
        "guide",
        "print_document",
        HHL,
        env.hhl.device_id,
    )
    assert (g["pages"], g["sha256"], g["content_kept"]) == (6, doc, True)  # 3 pages × 2 copies
    t = rows[ticket]
    stored = (await env.admin.get(f"/api/v1/jobs/{ticket}")).json()["params"]  # defaults in
    assert t["sha256"] == hashlib.sha256(canonical_receipt(stored)).hexdigest()
    assert (t["kind"], t["site"], t["pages"]) == ("ticket", TGLS, 1)
    c = rows[copy]
    assert (c["kind"], c["job_kind"], c["sha256"], c["pages"]) == ("copy", "copy", page_sha, 1)
    assert rows[unnamed]["kind"] == "other"  # a job without a purpose counts as other
    content = await env.admin.get(f"{RECORDS}/{g['id']}/content")
    assert content.status_code == 200 and content.content == pdf
    opened = await env.cloud.audit_rows("print_audit.content")
    assert [(e.site, e.result) for e in opened] == [(HHL, "ok")]  # who took content is logged
    receipt = await env.admin.get(f"{RECORDS}/{t['id']}/content")
    assert receipt.status_code == 200 and receipt.json() == stored


async def test_a_failed_print_and_a_scan_are_not_recorded(env: AuditEnv) -> None:
    r = await env.admin.post(
        "/api/v1/jobs",
        json={
            "kind": "print_receipt",
            "target": {"device_id": env.hhl.device_id},
            "params": TICKET,
            "purpose": "ticket",
        },
    )
    job_id = r.json()["id"]
    await env.hhl.next_command()
    async with env.parts.hub.subscribe(f"job:{job_id}") as sub:
        await env.hhl.ack(job_id, AckState.FAILED, reason="paper_out", message="no paper")
        assert await sub.wait_for(lambda v: v in ("failed", "queued"), 5)
    assert await env.audit.record_pending() == 0
    assert await _rows(env) == []


async def test_the_content_is_deleted_after_its_days_and_the_hash_stays(env: AuditEnv) -> None:
    pdf = pdf_of(1)
    doc = await env.blob(pdf)
    await env.printed(env.hhl, "print_document", {"document": doc}, "certificate")
    await env.audit.record_pending()
    env.audit.content_days = 30
    assert await env.audit.prune() == 0  # still within its days
    assert env.parts.blobs.exists(doc)
    env.audit._clock = lambda: utcnow() + timedelta(days=31)
    assert await env.audit.prune() == 1
    assert not env.parts.blobs.exists(doc)
    [row] = await _rows(env)
    assert (row["sha256"], row["content_kept"]) == (doc, False)
    gone = await env.admin.get(f"{RECORDS}/{row['id']}/content")
    assert gone.status_code == 404 and "no longer kept" in gone.json()["message"]


async def test_a_document_still_to_be_printed_keeps_its_blob(env: AuditEnv) -> None:
    doc = await env.blob(pdf_of(1))
    await env.printed(env.hhl, "print_document", {"document": doc}, "form")
    await env.audit.record_pending()
    waiting = await env.admin.post(
        "/api/v1/jobs",
        json={
            "kind": "print_document",
            "target": {"device_id": env.tgls.device_id},
            "params": {"document": doc},
            "purpose": "form",
        },
    )
    assert waiting.status_code == 201
    env.audit._clock = lambda: utcnow() + timedelta(days=400)
    assert await env.audit.prune() == 0
    assert env.parts.blobs.exists(doc)


async def test_a_long_backlog_is_recorded_over_rounds(
    env: AuditEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(print_audit, "BATCH", 2)
    for _ in range(3):
        await env.printed(env.hhl, "print_receipt", TICKET, "ticket")
    assert [await env.audit.record_pending() for _ in range(3)] == [2, 1, 0]
    assert len(await _rows(env)) == 3


async def test_a_round_is_one_transaction_and_a_race_lost_counts_nothing_twice(
    env: AuditEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round's rows go in together (issue 17); if another cloud process recorded one of them
    meanwhile, the round falls back to one by one and the daily counts stay right."""
    for _ in range(3):
        await env.printed(env.hhl, "print_receipt", TICKET, "ticket")
    audit_of = env.audit._audit_of
    raced: list[str] = []

    async def first_recorded_elsewhere(row: Any) -> dict[str, Any]:
        values = await audit_of(row)
        if not raced:  # "another process" stores the first one before this round does
            raced.append(values["job_id"])
            assert await env.audit._store(dict(values)) == 1
        return values

    monkeypatch.setattr(env.audit, "_audit_of", first_recorded_elsewhere)
    assert await env.audit.record_pending() == 2
    assert len(await _rows(env)) == 3
    async with env.parts.sessions() as s:
        day = await s.scalar(
            select(func.sum(PrintAuditDaily.jobs)).where(PrintAuditDaily.scope == HHL)
        )
    assert day == 3
