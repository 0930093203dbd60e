"""Staged rollouts, the cloud side (issue 17), on a real broker with stand-in devices: a
release published from its artifact, a good version reaching every site wave by wave, a
bad one halting its wave and ordering back the devices that switched, pause, resume, abort
and offline devices, and two gates on one database advancing a wave once."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cloud.db.identity import AuditEntry
from cloud.db.models import utcnow
from cloud.db.session import make_engine, make_sessions
from cloud.grants import Grants
from cloud.rollouts import gate as gate_module
from cloud.rollouts.gate import RolloutGate
from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.upgrade import UpgradeState
from tests.cloudkit import running_cloud
from tests.faults.databases import fresh_postgres

from .rollout_kit import NEW, OLD, StandIn, publish, release_tar

Env = tuple[Parts, httpx.AsyncClient]


@pytest.fixture
async def env(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Env]:
    # the gate runs when woken (start, pause, ...) and when a test calls ``tick``
    # JSON bodies stay small; a release may be larger (it is a blob: KFLEET_BLOB_MAX_BYTES)
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto_url,
        demo=True,
        rollout_gate_interval_s=300,
        api_max_body_bytes=64 * 1024,
        blob_max_bytes=512 * 1024,
    )
    async with running_cloud(settings) as pair:
        yield pair


async def _town(http: httpx.AsyncClient, uid: str, villages: list[str]) -> str:
    """A town of this test's own with ``villages`` under it (no other test's devices)."""
    town = {"parent": "qh/hx/golmud", "code": f"r{uid}", "name": "升级镇", "level": "town"}
    assert (await http.post("/api/v1/sites", json=town)).status_code == 201
    path = f"qh/hx/golmud/r{uid}"
    for code in villages:
        village = {"parent": path, "code": code, "name": f"村{code}", "level": "village"}
        r = await http.post("/api/v1/sites", json=village)
        assert r.status_code == 201, r.text
    return path


async def _online(cloud: Parts, *devices: StandIn) -> None:
    for d in devices:
        async with cloud.hub.subscribe(f"device:{d.device_id}") as sub:
            await d.birth()
            assert await sub.wait_for(lambda v: v == "online", 5) == "online"


async def _rollout(http: httpx.AsyncClient, rollout_id: str) -> dict[str, Any]:
    r = await http.get(f"/api/v1/rollouts/{rollout_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _devices(http: httpx.AsyncClient, rollout_id: str) -> dict[str, dict[str, Any]]:
    r = await http.get(f"/api/v1/rollouts/{rollout_id}/devices")
    assert r.status_code == 200, r.text
    return {d["device_id"]: d for d in r.json()}


async def _start(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await http.post("/api/v1/rollouts", json=body)
    assert r.status_code == 201, r.text
    started: dict[str, Any] = r.json()
    return started


async def _audit(cloud: Parts, action: str) -> list[AuditEntry]:
    async with cloud.sessions() as s:
        rows = await s.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.all())


async def test_a_release_is_published_once_per_version_and_bad_ones_are_named(
    env: Env,
) -> None:
    cloud, http = env
    artifact = release_tar(NEW)
    first = await publish(http, artifact)
    assert first.status_code == 201, first.text
    release = first.json()
    assert release["version"] == NEW and release["size"] == len(artifact)
    assert release["protocol"] == 1 and release["notes"] == "测试"
    assert cloud.blobs.locate(release["sha256"]).read_bytes() == artifact
    again = await publish(http, artifact)
    assert again.status_code == 200 and again.json() == release
    other = await publish(http, release_tar(NEW, payload=b"other"))
    assert other.status_code == 409 and "already published" in other.json()["message"]
    bad = {
        b"not a tar": "not a gzipped tar",
        release_tar("2.0.0", {"version": "2.0.0"}): "not a valid release manifest",
        release_tar("2.0.0", {"version": "two", "protocol": 1, "entry": ["x"]}): "version",
    }
    for body, says in bad.items():
        r = await publish(http, body)
        assert r.status_code == 422 and says in r.json()["message"], r.text
    assert (await publish(http, artifact, "text/plain")).status_code == 415
    big = release_tar("1.2.0", payload=os.urandom(200 * 1024))  # past the JSON limit
    assert (await publish(http, big)).status_code == 201
    too_big = await publish(http, release_tar("1.3.0", payload=os.urandom(600 * 1024)))
    assert too_big.status_code == 413 and "bytes" in too_big.json()["message"]
    listed = (await http.get("/api/v1/agent-releases")).json()
    assert [r["version"] for r in listed] == ["1.2.0", NEW]
    assert (await http.get(f"/api/v1/agent-releases/{NEW}")).json() == release
    assert (await http.get("/api/v1/agent-releases/9.9.9")).status_code == 404
    assert len(await _audit(cloud, "release.publish")) == 2


async def test_a_good_version_reaches_every_site_wave_by_wave(
    env: Env, mosquitto_url: str, uid: str
) -> None:
    cloud, http = env
    town = await _town(http, uid, ["a", "b"])
    assert (await publish(http, release_tar(NEW))).status_code == 201
    async with (
        StandIn(mosquitto_url, f"a1-{uid}", f"{town}/a") as a1,
        StandIn(mosquitto_url, f"a2-{uid}", f"{town}/a") as a2,
        StandIn(mosquitto_url, f"b1-{uid}", f"{town}/b") as b1,
    ):
        await _online(cloud, a1, a2, b1)
        started = await _start(http, version=NEW, site=town, health_window_s=60)
        rid = started["rollout_id"]
        assert [w["sites"] for w in started["waves"]] == [[f"{town}/a"], [f"{town}/b"]]
        assert [w["devices"] for w in started["waves"]] == [2, 1]
        for d in (a1, a2):  # the first wave is ordered at once; the second waits
            order = (await d.answer(cloud, http)).body
            assert (order.op, order.version, order.health_window_s) == ("agent.upgrade", NEW, 60)
        assert b1.commands.empty()
        await cloud.rollouts.gate.tick()
        await b1.answer(cloud, http)  # wave 0 passed: wave 1 ordered
        await cloud.rollouts.gate.tick()
        done = await _rollout(http, rid)
        assert done["state"] == "completed", done
        assert [(w["state"], w["healthy"]) for w in done["waves"]] == [("passed", 2), ("passed", 1)]
        rows = await _devices(http, rid)
        assert {r["state"] for r in rows.values()} == {"healthy"}
        assert {r["from_version"] for r in rows.values()} == {OLD}
        assert [a.version for a in (a1, a2, b1)] == [NEW, NEW, NEW]
    assert len(await _audit(cloud, "rollout.start")) == 1


async def test_a_bad_version_halts_its_wave_and_the_switched_devices_go_back(
    env: Env, mosquitto_url: str, uid: str
) -> None:
    cloud, http = env
    town = await _town(http, uid, ["a", "b"])
    assert (await publish(http, release_tar(NEW))).status_code == 201
    async with (
        StandIn(mosquitto_url, f"good-{uid}", f"{town}/a") as good,
        StandIn(mosquitto_url, f"bad-{uid}", f"{town}/a", good=False) as bad,
        StandIn(mosquitto_url, f"later-{uid}", f"{town}/b") as later,
    ):
        await _online(cloud, good, bad, later)
        rule = {"name": "升级停止", "kind": "rollout_halted", "params": {}, "site": town}
        assert (await http.post("/api/v1/alert-rules", json=rule)).status_code == 201
        rid = (await _start(http, version=NEW, site=town, max_failures=0))["rollout_id"]
        await good.answer(cloud, http)  # healthy on the new version
        await bad.answer(cloud, http)  # crashed, back on the old one by itself
        await cloud.rollouts.gate.tick()
        halted = await _rollout(http, rid)
        assert halted["state"] == "halted" and f"bad-{uid}" in halted["reason"], halted
        assert [w["state"] for w in halted["waves"]] == ["halted", "stopped"]
        back = (await good.answer(cloud, http)).body  # the cloud orders the healthy one back
        assert (back.op, back.to_version, back.rollout_id) == ("agent.rollback", OLD, rid)
        await cloud.rollouts.gate.tick()
        rows = await _devices(http, rid)
        assert rows[f"good-{uid}"]["state"] == "rolled_back"
        assert rows[f"bad-{uid}"]["state"] == "rolled_back"
        assert rows[f"bad-{uid}"]["reason"] == "crashed"
        assert rows[f"later-{uid}"]["state"] == "pending"  # never ordered
        assert [good.version, bad.version, later.version] == [OLD, OLD, OLD]
        await cloud.rollouts.gate.tick()
        for device in (good, later):  # one rollback, and nothing for the later wave
            with pytest.raises(TimeoutError):
                await device.next_command(0.5)
    [halt] = await _audit(cloud, "rollout.halt")
    assert halt.actor == "cloud:rollout-gate" and halt.target == f"rollout:{rid}"
    await cloud.alerts.evaluate_once()  # the rollout_halted rule fires on its subtree
    [alert] = (await http.get("/api/v1/alerts", params={"site": town})).json()["items"]
    assert (alert["subject"], alert["state"]) == (f"rollout:{rid}", "firing")
    assert NEW in alert["summary"] and f"bad-{uid}" in alert["summary"]


async def test_pause_resume_abort_and_an_offline_device(
    env: Env, mosquitto_url: str, uid: str
) -> None:
    cloud, http = env
    town = await _town(http, uid, ["a"])
    assert (await publish(http, release_tar(NEW))).status_code == 201
    async with (
        StandIn(mosquitto_url, f"on-{uid}", f"{town}/a") as on,
        StandIn(mosquitto_url, f"off-{uid}", f"{town}/a") as off,
    ):
        await _online(cloud, on, off)
        async with cloud.hub.subscribe(f"device:{off.device_id}") as sub:
            await off.state(False)
            assert await sub.wait_for(lambda v: v == "offline", 5) == "offline"
        waves = [{"sites": [f"{town}/a"]}]
        rid = (await _start(http, version=NEW, site=town, waves=waves, max_failures=1))[
            "rollout_id"
        ]
        overlapping = await http.post("/api/v1/rollouts", json={"version": NEW, "site": town})
        assert overlapping.status_code == 409 and rid in overlapping.json()["message"]
        await on.next_command()  # the online one is ordered; the offline one is not
        assert (await http.post(f"/api/v1/rollouts/{rid}/pause")).json()["state"] == "paused"
        again = await http.post(f"/api/v1/rollouts/{rid}/pause")
        assert again.status_code == 409 and "paused" in again.json()["message"]
        await _online(cloud, off)  # back, but the rollout is paused: no order
        await cloud.rollouts.gate.tick()
        with pytest.raises(TimeoutError):
            await off.next_command(0.5)
        assert (await http.post(f"/api/v1/rollouts/{rid}/resume")).json()["state"] == "running"
        order = (await off.next_command()).body
        assert order.op == "agent.upgrade"
        aborted = await http.post(f"/api/v1/rollouts/{rid}/abort")
        assert aborted.json()["state"] == "aborted" and aborted.json()["ended_at"]
        assert (await http.post(f"/api/v1/rollouts/{rid}/resume")).status_code == 409
        await on.report(cloud, rid, NEW, UpgradeState.FAILED, "checksum")
        await cloud.rollouts.gate.tick()  # an ended rollout still records what devices say
        assert (await _devices(http, rid))[f"on-{uid}"]["reason"] == "checksum"
    actions = [a.action for a in await _audit(cloud, "rollout.pause")]
    actions += [a.action for a in await _audit(cloud, "rollout.resume")]
    actions += [a.action for a in await _audit(cloud, "rollout.abort")]
    assert actions == ["rollout.pause", "rollout.resume", "rollout.abort"]


async def test_a_device_that_never_comes_back_healthy_times_out(
    env: Env, mosquitto_url: str, uid: str
) -> None:
    cloud, http = env
    town = await _town(http, uid, ["a"])
    assert (await publish(http, release_tar(NEW))).status_code == 201
    async with StandIn(mosquitto_url, f"slow-{uid}", f"{town}/a") as slow:
        await _online(cloud, slow)
        rid = (await _start(http, version=NEW, site=town, health_window_s=10))["rollout_id"]
        await slow.next_command()
        await slow.report(cloud, rid, NEW, UpgradeState.SWITCHING)
        await slow.restart_as(cloud, NEW)  # runs it, but never says healthy
        await cloud.rollouts.gate.tick(utcnow() + timedelta(seconds=11))
        assert (await _rollout(http, rid))["state"] == "halted"
        row = (await _devices(http, rid))[f"slow-{uid}"]
        assert (row["state"], row["reason"]) == ("timed_out", "health_timeout")
        back = (await slow.next_command()).body  # it runs the new version: ordered back
        assert (back.op, back.to_version) == ("agent.rollback", OLD)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def either_db(
    request: pytest.FixtureRequest, tmp_path: Path, mosquitto_url: str, uid: str
) -> AsyncIterator[Env]:
    """The cloud on SQLite (WAL, one file) and on PostgreSQL (a database of this test's own)."""
    with contextlib.ExitStack() as stack:
        url = ""
        if request.param == "postgres":
            server = request.getfixturevalue("postgres_url")
            url = stack.enter_context(fresh_postgres(server, f"kf_ro_{uid}"))
        settings = Settings(
            data_dir=tmp_path,
            database_url=url,
            mqtt_url=mosquitto_url,
            demo=True,
            rollout_gate_interval_s=300,
        )
        async with running_cloud(settings) as pair:
            yield pair


async def test_two_gates_on_one_database_advance_a_wave_once(
    either_db: Env, mosquitto_url: str, uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cloud workers' gates read the same rollout before either stores its decision:
    one commits, the other loses on the revision and sends nothing."""
    cloud, http = either_db
    town = await _town(http, uid, ["a", "b"])
    assert (await publish(http, release_tar(NEW))).status_code == 201
    # two workers: each its own engine and connection on the same database
    engines = [make_engine(cloud.settings.database_url) for _ in range(2)]
    gates = [
        RolloutGate(make_sessions(e), cloud.bus, Grants(cloud.settings), tick_s=300, resend_s=60)
        for e in engines
    ]
    async with (
        StandIn(mosquitto_url, f"a-{uid}", f"{town}/a") as a,
        StandIn(mosquitto_url, f"b-{uid}", f"{town}/b") as b,
    ):
        await _online(cloud, a, b)
        rid = (await _start(http, version=NEW, site=town))["rollout_id"]
        await a.answer(cloud, http)
        both_read, racing = asyncio.Barrier(2), set()
        read = gate_module._members

        async def read_then_meet(*args: Any) -> Any:
            members = await read(*args)
            if asyncio.current_task() in racing:
                await both_read.wait()  # neither decides before both have read
            return members

        monkeypatch.setattr(gate_module, "_members", read_then_meet)
        now = utcnow()
        tasks = [asyncio.create_task(g.advance(rid, now)) for g in gates]
        racing.update(tasks)
        results = await asyncio.gather(*tasks)
        monkeypatch.undo()
        assert sum(r is not None for r in results) == 1  # one wins, the other sends nothing
        assert sum(g.lost_rounds for g in gates) == 1
        assert (await _rollout(http, rid))["current_wave"] == 1
        for gate in (*gates, cloud.rollouts.gate):
            await gate.tick()
        await b.next_command()
        with pytest.raises(TimeoutError):
            await b.next_command(0.5)  # one order, however many gates
    for engine in engines:
        await engine.dispose()


async def test_a_restarted_cloud_carries_on_where_it_stopped(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    """The rollout's state is in the database: a cloud that stops between a device's report
    and the gate's next round finds the report and starts the next wave at once."""
    settings = Settings(
        data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True, rollout_gate_interval_s=300
    )
    async with (
        StandIn(mosquitto_url, f"a-{uid}", "") as a,
        StandIn(mosquitto_url, f"b-{uid}", "") as b,
    ):
        async with running_cloud(settings) as (cloud, http):
            town = await _town(http, uid, ["a", "b"])
            a.site, b.site = f"{town}/a", f"{town}/b"
            await _online(cloud, a, b)
            assert (await publish(http, release_tar(NEW))).status_code == 201
            rid = (await _start(http, version=NEW, site=town))["rollout_id"]
            await a.answer(cloud, http)  # healthy; no round of the gate has seen it yet
            assert (await _rollout(http, rid))["current_wave"] == 0
        async with running_cloud(settings, seed=False) as (cloud, http):
            order = (await b.answer(cloud, http)).body  # the start-up round moved it on
            assert (order.op, order.rollout_id) == ("agent.upgrade", rid)
            await cloud.rollouts.gate.tick()
            assert (await _rollout(http, rid))["state"] == "completed"
