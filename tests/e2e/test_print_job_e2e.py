"""End to end on real parts: REST → cloud → MQTT broker → real agent → simulated ESC/POS printer
→ acks → ``succeeded``; on amqtt (MQTT 3.1.1) and Mosquitto 2, on SQLite and PostgreSQL.
Every receipt the printer simulator wrote is counted (per queue number), never only the first."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, queue_ticket, running_demo
from kfleet.world.world import KioskSpec

from .printed import receipt_count, receipts_naming


def _kiosks(uid: str) -> list[KioskSpec]:
    return [
        KioskSpec(f"hhl-kiosk-{uid}", f"qh/hx/golmud/h{uid}", "黄河路街道办事处 1号自助终端"),
        KioskSpec(
            f"tgls-kiosk-{uid}", f"qh/hx/golmud/t{uid}", "唐古拉山镇便民服务中心 1号自助终端"
        ),
    ]


def _world(
    tmp_path: Path, uid: str, broker_url: str, database_url: str | None = None
) -> contextlib.AbstractAsyncContextManager[DemoWorld]:
    """The demo world with sites and kiosks of this test's own: tests share one broker, whose
    retained births of other tests' devices must not be routed to."""
    sites = golmud(
        SiteSpec(f"h{uid}", "黄河路街道办事处", SiteLevel.TOWN),
        SiteSpec(f"t{uid}", "唐古拉山镇便民服务中心", SiteLevel.TOWN),
    )
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=broker_url,
        port=0,
        database_url=database_url,
        kiosks=_kiosks(uid),
        sites=sites,
    )
    return running_demo(opts)


async def _print_ticket(world: DemoWorld, device_id: str, number: str) -> dict[str, object]:
    async with httpx.AsyncClient(
        base_url=world.base_url, headers=world.headers, timeout=30
    ) as client:
        r = await client.post(
            "/api/v1/jobs",
            json={
                "kind": "print_receipt",
                "target": {"device_id": device_id},
                "params": queue_ticket("黄河路街道办事处", number),
            },
        )
        assert r.status_code == 201, r.text
        job = r.json()
        r = await client.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 20})
        assert r.status_code == 200
        result: dict[str, object] = r.json()
        return result


def _assert_ticket(world: DemoWorld, device_id: str, number: str) -> None:
    """Exactly one receipt of ALL the kiosk printed names ``number``, and it is the ticket."""
    [text] = receipts_naming(world.receipts_dir(device_id), number)
    assert "黄河路街道办事处" in text
    assert number in text
    assert "前面还有 3 人等候" in text
    assert f"[QR] https://gov.example.invalid/q/{number}" in text


async def test_print_job_end_to_end(tmp_path: Path, uid: str, broker_url: str) -> None:
    async with _world(tmp_path, uid, broker_url) as world:
        device = f"hhl-kiosk-{uid}"
        job = await _print_ticket(world, device, "A023")
        assert job["state"] == "succeeded", job
        _assert_ticket(world, device, "A023")
        assert receipt_count(world.receipts_dir(device)) == 1  # one job, one receipt at all
        # The other kiosk printed nothing: the job went where it was sent.
        assert receipt_count(world.receipts_dir(f"tgls-kiosk-{uid}")) == 0
        async with httpx.AsyncClient(
            base_url=world.base_url, headers=world.headers, timeout=30
        ) as client:
            events = (await client.get(f"/api/v1/jobs/{job['id']}/events")).json()
            devices = (await client.get("/api/v1/devices", params={"online": "true"})).json()
        states = [e["to_state"] for e in events]
        assert states[-1] == "succeeded"
        assert {f"hhl-kiosk-{uid}", f"tgls-kiosk-{uid}"} <= {d["id"] for d in devices}


async def test_site_targeted_job_reaches_the_site_kiosk(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    async with _world(tmp_path, uid, mosquitto_url) as world:
        async with httpx.AsyncClient(
            base_url=world.base_url, headers=world.headers, timeout=30
        ) as client:
            r = await client.post(
                "/api/v1/jobs",
                json={
                    "kind": "print_receipt",
                    "target": {"site": f"qh/hx/golmud/t{uid}", "capability": "receipt"},
                    "params": queue_ticket("唐古拉山镇便民服务中心", "B007"),
                },
            )
            assert r.status_code == 201, r.text
            job = (await client.get(f"/api/v1/jobs/{r.json()['id']}", params={"wait_s": 20})).json()
        assert job["state"] == "succeeded", job
        assert job["device_id"] == f"tgls-kiosk-{uid}"
        assert len(receipts_naming(world.receipts_dir(f"tgls-kiosk-{uid}"), "B007")) == 1
        assert receipt_count(world.receipts_dir(f"hhl-kiosk-{uid}")) == 0


@pytest.fixture
def pg_database(postgres_url: str, uid: str) -> Iterator[str]:
    """A fresh database on the real PostgreSQL server, dropped afterwards."""
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"kf_e2e_{uid}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_print_job_end_to_end_on_postgres(
    tmp_path: Path, uid: str, mosquitto_url: str, pg_database: str
) -> None:
    async with _world(tmp_path, uid, mosquitto_url, pg_database) as world:
        device = f"hhl-kiosk-{uid}"
        job = await _print_ticket(world, device, "C101")
        assert job["state"] == "succeeded", job
        _assert_ticket(world, device, "C101")
        assert receipt_count(world.receipts_dir(device)) == 1


async def test_paper_out_fails_with_reason_and_agent_serves_next(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    async with _world(tmp_path, uid, mosquitto_url) as world:
        device = f"hhl-kiosk-{uid}"
        kiosk = next(k for k in world.kiosks if k.spec.device_id == device)
        kiosk.printer.faults.paper_out = True
        async with httpx.AsyncClient(
            base_url=world.base_url, headers=world.headers, timeout=30
        ) as client:
            r = await client.post(
                "/api/v1/jobs",
                json={
                    "kind": "print_receipt",
                    "target": {"device_id": device},
                    "params": queue_ticket("黄河路街道办事处", "D001"),
                    "max_attempts": 1,
                },
            )
            job = (await client.get(f"/api/v1/jobs/{r.json()['id']}", params={"wait_s": 20})).json()
        assert job["state"] == "failed", job
        assert job["reason"] == "paper_out"
        assert receipt_count(world.receipts_dir(device)) == 0
        kiosk.printer.faults.paper_out = False  # the technician refills the roll
        job = await _print_ticket(world, device, "D002")
        assert job["state"] == "succeeded", job
        _assert_ticket(world, device, "D002")
        assert receipts_naming(world.receipts_dir(device), "D001") == []  # never printed late
        assert receipt_count(world.receipts_dir(device)) == 1
