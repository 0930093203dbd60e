"""The swarm (``kfleet.world.swarm``) speaks the protocol the cloud accepts: 300 light devices
on Mosquitto against the real cloud. Their births make them online in the cloud's view, a job
sent to one of them succeeds, a site content push reaches the devices of that site, and after
every connection breaks at once the cloud's view has them all online again in their new
session. Correctness only: the timings are ``benchmarks/fleet_scale.py``'s, never a test's."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from cloud.db.models import Device
from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from kfleet.world.swarm import Swarm, specs_for

pytestmark = pytest.mark.mosquitto

AGENTS = 300


@contextlib.asynccontextmanager
async def _world(tmp_path: Path, uid: str, broker_url: str) -> AsyncIterator[DemoWorld]:
    """The cloud alone (no demo kiosk), with two sites of this test's own."""
    sites = golmud(
        SiteSpec(f"h{uid}", "黄河路街道办事处", SiteLevel.TOWN),
        SiteSpec(f"t{uid}", "唐古拉山镇便民服务中心", SiteLevel.TOWN),
    )
    opts = DemoOptions(data_dir=tmp_path, broker_url=broker_url, port=0, kiosks=[], sites=sites)
    async with running_demo(opts) as world:
        yield world


async def _online_in_session(world: DemoWorld, prefix: str, bd_seq: int) -> int:
    """Devices of ``prefix`` the cloud holds online in session ``bd_seq`` (its own view)."""
    assert world.sessions is not None
    async with world.sessions() as s:
        query = select(func.count()).where(
            Device.id.startswith(prefix), Device.online.is_(True), Device.bd_seq == bd_seq
        )
        return int((await s.execute(query)).scalar_one())


async def _until_all_online(world: DemoWorld, prefix: str, bd_seq: int) -> None:
    """Polls the cloud's database: presence converging has no event to await from outside."""
    async with asyncio.timeout(120):
        while await _online_in_session(world, prefix, bd_seq) < AGENTS:  # noqa: ASYNC110
            await asyncio.sleep(0.2)


async def test_swarm_is_seen_serves_a_job_and_comes_back(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    prefix = f"sw{uid}"
    sites = [f"qh/hx/golmud/h{uid}", f"qh/hx/golmud/t{uid}"]
    async with _world(tmp_path, uid, mosquitto_url) as world:
        swarm = Swarm(
            mosquitto_url, specs_for(AGENTS, prefix, sites), first_bd_seq=int(time.time())
        )
        try:
            await swarm.start()
            assert swarm.connected == AGENTS
            await _until_all_online(world, prefix, swarm.bd_seq)
            async with httpx.AsyncClient(
                base_url=world.base_url, headers=world.headers, timeout=30
            ) as client:
                await _job_succeeds(client, f"{prefix}-00007")
            assert swarm.counters["jobs_succeeded"] == 1
            before = swarm.bd_seq
            await swarm.drop()
            assert swarm.bd_seq == before + 1
            assert swarm.connected == AGENTS
            await _until_all_online(world, prefix, swarm.bd_seq)
            assert swarm.counters["wire_errors"] == 0
        finally:
            await swarm.stop()


async def _job_succeeds(client: httpx.AsyncClient, device_id: str) -> None:
    r = await client.post(
        "/api/v1/jobs",
        json={
            "kind": "print_receipt",
            "target": {"device_id": device_id},
            "params": {"lines": [{"type": "text", "text": "A001"}], "cut": True},
        },
    )
    assert r.status_code == 201, r.text
    job = r.json()
    r = await client.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 20})
    assert r.status_code == 200
    assert r.json()["state"] == "succeeded", r.json()
    events = (await client.get(f"/api/v1/jobs/{job['id']}/events")).json()
    assert [e["to_state"] for e in events][-3:] == ["accepted", "running", "succeeded"]
