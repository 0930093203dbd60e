"""Liveness (issue 12): a device that says online but is silent for three of its heartbeats is
shown silent with the reason, whatever its last state said — a forged birth from a client
without a will included, across a cloud restart too — and its next message brings it back."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from cloud.settings import Settings
from cloud.wiring import Parts
from tests.cloudkit import running_cloud

from .forged import WillessDevice

HEARTBEAT_S = 0.6  # three of them: silent after 1.8 s
SWEEP_S = 0.1


def settings_for(tmp_path: Path, mqtt_url: str) -> Settings:
    return Settings(data_dir=tmp_path, mqtt_url=mqtt_url, demo=True, liveness_interval_s=SWEEP_S)


async def device(http: httpx.AsyncClient, device_id: str) -> dict[str, Any]:
    r = await http.get(f"/api/v1/devices/{device_id}", params={"events": 50})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def wait_for(cloud: Parts, device_id: str, value: str, within_s: float) -> float:
    """Seconds until the hub says ``value`` for the device (fails if it does not)."""
    start = time.monotonic()
    async with cloud.hub.subscribe(f"device:{device_id}") as sub:
        got = await sub.wait_for(lambda v: v == value, within_s)
    assert got == value, f"{device_id} did not become {value} within {within_s} s"
    return time.monotonic() - start


async def births_handled(cloud: Parts, n: int) -> None:
    async with cloud.hub.subscribe("bus:handled") as sub:
        while cloud.stats.handled["birth"] < n:
            assert await sub.wait_for(lambda v: v == "birth", 10) == "birth"


async def test_a_forged_birth_goes_silent_within_three_heartbeats_and_a_message_brings_it_back(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    forged = WillessDevice(mosquitto_url, f"forged-{uid}", HEARTBEAT_S)
    try:
        async with running_cloud(settings_for(tmp_path, mosquitto_url)) as (cloud, http):
            async with cloud.hub.subscribe(f"device:{forged.device_id}") as sub:
                await forged.birth()
                assert await sub.wait_for(lambda v: v == "online", 10) == "online"
                born = time.monotonic()
                assert (await device(http, forged.device_id))["liveness"] == "online"
                assert await sub.wait_for(lambda v: v == "silent", 10) == "silent"
                quiet = time.monotonic() - born
            # no longer than three heartbeats (+ one sweep and scheduling slack)
            assert 3 * HEARTBEAT_S - 0.05 <= quiet <= 3 * HEARTBEAT_S + SWEEP_S + 1.0
            shown = await device(http, forged.device_id)
            assert shown["online"] is True  # its last state said so ...
            assert shown["liveness"] == "silent"  # ... but it is shown silent, with the reason
            assert "no message for" in shown["liveness_reason"]
            assert "without a will" in shown["liveness_reason"]
            silent = [e for e in shown["events"] if e["kind"] == "silent"]
            assert len(silent) == 1 and "heartbeats of 0.6 s" in silent[0]["reason"]
            listed = (await http.get("/api/v1/devices")).json()
            assert [d["liveness"] for d in listed if d["id"] == forged.device_id] == ["silent"]

            async with cloud.hub.subscribe(f"device:{forged.device_id}") as sub:
                await forged.tele()
                assert await sub.wait_for(lambda v: v == "online", 10) == "online"
            back = await device(http, forged.device_id)
            assert back["liveness"] == "online" and back["liveness_reason"] == ""
            returned = [e for e in back["events"] if e["kind"] == "online"]
            assert len(returned) == 1 and returned[0]["reason"].startswith("back after ")
            assert returned[0]["reason"].endswith(" s of silence")
            # silent again after three more heartbeats, recorded once more
            await wait_for(cloud, forged.device_id, "silent", 10)
            again = await device(http, forged.device_id)
            assert [e["kind"] for e in again["events"]].count("silent") == 2
    finally:
        await forged.clear()


async def test_a_forged_birth_stays_silent_across_a_cloud_restart(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    """The retained birth the broker hands the restarted cloud is no sign of life."""
    forged = WillessDevice(mosquitto_url, f"forged-{uid}", HEARTBEAT_S)
    settings = settings_for(tmp_path, mosquitto_url)
    try:
        async with running_cloud(settings) as (cloud, http):
            async with cloud.hub.subscribe(f"device:{forged.device_id}") as sub:
                await forged.birth()
                assert await sub.wait_for(lambda v: v == "online", 10) == "online"
            first_seen = (await device(http, forged.device_id))["last_seen"]
        # restarted before three heartbeats passed: the new cloud gets the retained birth
        async with running_cloud(settings, seed=False) as (cloud, http):
            restarted = time.monotonic()
            await wait_for(cloud, forged.device_id, "silent", 10)
            assert time.monotonic() - restarted <= 3 * HEARTBEAT_S + SWEEP_S + 1.0
            shown = await device(http, forged.device_id)
            assert shown["liveness"] == "silent"
            assert shown["last_seen"] == first_seen  # the replayed birth did not refresh it
        # and once silent, a restart does not bring it back
        async with running_cloud(settings, seed=False) as (cloud, http):
            await births_handled(cloud, 1)  # the retained birth came again
            await cloud.liveness.sweep()
            shown = await device(http, forged.device_id)
            assert shown["liveness"] == "silent"
            assert [e["kind"] for e in shown["events"]].count("silent") == 1
            assert [e["kind"] for e in shown["events"]].count("online") == 0
            assert datetime.fromisoformat(shown["liveness_since"]) > datetime.fromisoformat(
                first_seen
            )
    finally:
        await forged.clear()
