"""社会保障卡挂失/解挂 through the real 人社 simulator: the card's state, a loss reported and
lifted, each with its receipt on the calling kiosk (purpose ``receipt``); the same request id
again changes nothing and prints nothing more; a retry after a lost answer sends the same
serial; a card already lost is refused with the reason; a request id is one card, one action."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db.models import Job
from cloud.kiosk.certs_tables import KioskCardChange
from simulators.dept_people import MA_XIULAN, WANG_XIAOMING
from tests.kiosk.certs_kit import CertsEnv, certs_env

LOSS, UNLOSS = "/api/v1/kiosk/social-card/loss", "/api/v1/kiosk/social-card/unloss"


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[CertsEnv]:
    async with certs_env(tmp_path, amqtt_url) as e:
        yield e


async def _receipts(env: CertsEnv) -> list[Job]:
    async with env.cloud.parts.sessions() as s:
        jobs = (await s.scalars(select(Job).order_by(Job.created_at))).all()
    return [j for j in jobs if j.kind == "print_receipt"]


async def test_loss_reported_then_lifted_each_with_a_receipt(env: CertsEnv) -> None:
    who = await env.who(WANG_XIAOMING)
    status = await env.kiosk.post("/api/v1/kiosk/social-card", json=who)
    assert status.status_code == 200, status.text
    assert status.json()["state"] == "normal" and status.json()["card"] == "****0123"
    lost = await env.kiosk.post(LOSS, json={**who, "request_id": "loss-0001"})
    assert lost.status_code == 201, lost.text
    out = lost.json()
    assert (out["action"], out["state"], out["printed"]) == ("loss", "lost", True)
    assert env.hrss.cards.states[WANG_XIAOMING.id_number] == "lost"
    [receipt] = await _receipts(env)
    assert receipt.id == out["job_id"] and receipt.purpose == "receipt"
    text = str(receipt.params)
    assert "社会保障卡挂失回执" in text and out["serial"] in text
    assert WANG_XIAOMING.id_number not in text and "K63280100123" not in text

    again = await env.kiosk.post(LOSS, json={**who, "request_id": "loss-0001"})
    assert again.status_code == 201 and again.json()["printed"] is False
    assert again.json()["serial"] == out["serial"] and env.hrss.cards.applied == 1
    assert len(await _receipts(env)) == 1

    twice = await env.kiosk.post(LOSS, json={**who, "request_id": "loss-0002"})
    assert twice.status_code == 422 and "已处于挂失状态" in twice.json()["citizen_message"]

    lifted = await env.kiosk.post(UNLOSS, json={**who, "request_id": "unloss-0001"})
    assert lifted.status_code == 201, lifted.text
    assert lifted.json()["state"] == "normal" and len(await _receipts(env)) == 2
    assert env.hrss.cards.states[WANG_XIAOMING.id_number] == "normal"


async def test_a_retry_after_a_lost_answer_sends_the_same_serial(env: CertsEnv) -> None:
    """The first call fails (a gateway's 502): the change stays pending under its serial; the
    kiosk's retry with the same request id sends that serial again, and the card changes once.
    (The simulator answers a serial it has seen with its first answer: ``CardDesk.change``.)"""
    who = await env.who(MA_XIULAN)
    env.hrss.faults.fail_count = 1  # the first call answers a bare 502 (nothing applied)
    first = await env.kiosk.post(UNLOSS, json={**who, "request_id": "retry-0001"})
    assert first.status_code == 503, first.text
    retried = await env.kiosk.post(UNLOSS, json={**who, "request_id": "retry-0001"})
    assert retried.status_code == 201, retried.text
    serial = retried.json()["serial"]
    assert serial in env.hrss.cards.changes and env.hrss.cards.applied == 1
    async with env.cloud.parts.sessions() as s:
        rows = (await s.scalars(select(KioskCardChange))).all()
    assert [(r.id, r.state) for r in rows] == [(serial, "done")]


async def test_a_request_id_is_one_action(env: CertsEnv) -> None:
    who = await env.who(WANG_XIAOMING)
    r = await env.kiosk.post(LOSS, json={**who, "request_id": "mixed-0001"})
    assert r.status_code == 201
    r = await env.kiosk.post(UNLOSS, json={**who, "request_id": "mixed-0001"})
    assert r.status_code == 409 and r.json()["code"] == "request_reused"


async def test_no_card_change_without_the_identity(env: CertsEnv) -> None:
    body = {
        "identity_token": "nope",
        "id_number": WANG_XIAOMING.id_number,
        "name": WANG_XIAOMING.name,
        "request_id": "anon-0001",
    }
    r = await env.kiosk.post(LOSS, json=body)
    assert r.status_code == 403 and r.json()["code"] == "identity_required"
    assert env.hrss.cards.applied == 0
