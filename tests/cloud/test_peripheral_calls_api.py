"""Peripheral calls over REST: bad calls are refused with a precise sentence before anything
is sent; a good one reaches the device as ``peripheral.call`` and settles with its answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.jobs import AckState
from protocols.messages import Health, PeripheralCall, PeripheralInfo
from tests.cloudkit import RECEIPT_PRINTER, FakeDevice, running_cloud

CALL_BUTTON = PeripheralInfo(
    id="btn", kind="call_button", capabilities=["call_button"], health=Health.OK
)
RATING_PAD = PeripheralInfo(id="pad", kind="rating_pad", capabilities=["rating"], health=Health.OK)


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[tuple[Parts, httpx.AsyncClient]]:
    settings = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True)
    async with running_cloud(settings) as pair:
        yield pair


async def register(cloud: Parts, device: FakeDevice) -> None:
    async with cloud.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.birth()
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


def window(url: str, uid: str) -> FakeDevice:
    return FakeDevice(url, f"win-{uid}", peripherals=[RECEIPT_PRINTER, CALL_BUTTON, RATING_PAD])


async def test_bad_calls_are_refused_with_a_reason(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    r = await http.post(
        f"/api/v1/devices/ghost-{uid}/peripherals/btn/actions/set_led",
        json={"button": 1, "mode": "on"},
    )
    assert r.status_code == 404
    assert f"device 'ghost-{uid}' is not registered" in r.json()["message"]
    async with window(amqtt_url, uid) as dev:
        await register(cloud, dev)
        base = f"/api/v1/devices/{dev.device_id}/peripherals"
        r = await http.post(f"{base}/nope/actions/set_led", json={"button": 1, "mode": "on"})
        assert r.status_code == 404
        assert r.json()["message"] == (
            f"device {dev.device_id} has no peripheral 'nope' (it has: btn, pad, rp1)"
        )
        # an action no peripheral kind has: a 422 naming the actions there are
        r = await http.post(f"{base}/btn/actions/explode", json={})
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["path", "action"]
        assert (
            "'set_led', 'beep', 'request_rating', 'stream_start' or 'stream_stop'"
            in r.json()["errors"][0]["msg"]
        )
        # an action this peripheral's kind does not have: no such action resource (404)
        r = await http.post(
            f"{base}/btn/actions/request_rating", json={"case_no": "A", "window": "3"}
        )
        assert r.status_code == 404
        assert r.json()["message"] == (
            f"peripheral btn of device {dev.device_id} is a call_button, which has no action "
            "'request_rating'; it offers: beep, set_led"
        )
        r = await http.post(f"{base}/rp1/actions/set_led", json={"button": 1, "mode": "on"})
        assert r.status_code == 404
        assert "it offers: no actions" in r.json()["message"]
        r = await http.post(f"{base}/btn/actions/set_led", json={"button": 17, "mode": "disco"})
        assert r.status_code == 422
        errors = {tuple(e["loc"]): e["msg"] for e in r.json()["errors"]}
        assert "less than or equal to 16" in errors[("body", "button")]
        assert errors[("body", "mode")].startswith("Input should be 'off'")
        r = await http.post(f"{base}/pad/actions/request_rating", json={"window": "3号窗口"})
        assert r.status_code == 422
        assert [e["loc"] for e in r.json()["errors"]] == [["body", "case_no"]]
        assert dev.commands.empty()  # nothing was sent for any of them

        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.state(False)
            assert await sub.wait_for(lambda v: v == "offline", 5) == "offline"
        r = await http.post(f"{base}/btn/actions/set_led", json={"button": 1, "mode": "on"})
        assert r.status_code == 409
        assert f"device {dev.device_id} is offline" in r.json()["message"]
        assert "not queued" in r.json()["message"]
    r = await http.get(f"/api/v1/calls/call-{uid:0>32}")  # well-formed, unknown
    assert r.status_code == 404


async def test_call_reaches_the_device_and_settles_with_its_answer(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with window(amqtt_url, uid) as dev:
        await register(cloud, dev)
        r = await http.post(
            f"/api/v1/devices/{dev.device_id}/peripherals/pad/actions/request_rating",
            json={"case_no": "C-7", "window": "3号窗口", "timeout_s": 30},
        )
        assert r.status_code == 202, r.text
        call = r.json()
        assert call["state"] == "sent" and call["id"].startswith("call-")
        assert r.headers["location"] == f"/api/v1/calls/{call['id']}"
        cmd = await dev.next_command()
        assert isinstance(cmd.body, PeripheralCall)
        assert (cmd.body.call_id, cmd.body.peripheral, cmd.body.action) == (
            call["id"],
            "pad",
            "request_rating",
        )
        assert cmd.body.args == {
            "case_no": "C-7",
            "window": "3号窗口",
            "staff": "",
            "timeout_s": 30,
        }
        assert cmd.exp is not None  # a call the device gets late is not performed

        # an answer that does not say it is one (no ``subject``) is a job ack for no job
        async with cloud.hub.subscribe("bus:handled") as sub:
            await dev.ack(call["id"], AckState.SUCCEEDED, result={"code": 1})
            await sub.wait_for(lambda v: v == "ack", 5)
        assert cloud.stats.rejected["unknown_job"] >= 1
        assert (await http.get(f"/api/v1/calls/{call['id']}")).json()["state"] == "sent"

        poll = asyncio.create_task(http.get(f"/api/v1/calls/{call['id']}", params={"wait_s": 20}))
        await dev.ack(call["id"], AckState.RUNNING, subject="call")
        rating = {
            "case_no": "C-7",
            "code": 5,
            "name": "非常满意",
            "reasons": [],
            "timed_out": False,
        }
        await dev.ack(call["id"], AckState.SUCCEEDED, result=rating, subject="call")
        r = await poll
        assert r.status_code == 200
        assert (r.json()["state"], r.json()["result"]) == ("succeeded", rating)
        # a late repeat of an answer changes nothing
        async with cloud.hub.subscribe("bus:handled") as sub:
            await dev.ack(call["id"], AckState.FAILED, reason="peripheral_error", subject="call")
            assert await sub.wait_for(lambda v: v == "ack", 5) == "ack"
        r = await http.get(f"/api/v1/calls/{call['id']}")
        assert r.json()["state"] == "succeeded"
        assert cloud.stats.ignored["stale_call_ack"] >= 1


async def test_unanswered_call_expires(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud, http = env
    monkeypatch.setattr("cloud.calls.REPLY_GRACE_S", 0.5)
    async with window(amqtt_url, uid) as dev:
        await register(cloud, dev)
        r = await http.post(
            f"/api/v1/devices/{dev.device_id}/peripherals/btn/actions/beep", json={"count": 2}
        )
        assert r.status_code == 202, r.text
        r = await http.get(f"/api/v1/calls/{r.json()['id']}", params={"wait_s": 10})
        assert (r.json()["state"], r.json()["reason"]) == ("expired", "expired")
