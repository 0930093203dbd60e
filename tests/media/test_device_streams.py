"""A device's monitoring stream started from the console: the ``stream_start`` call carries
the WHIP URL and a publish token that works; the device's ``stream`` events reach the
listing (why a picture stopped), and a failed start says the device's reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.av import StreamData, StreamStartArgs, StreamState
from protocols.jobs import AckState
from protocols.messages import EventBody, EventKind, Health, PeripheralCall, PeripheralInfo
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice, running_cloud
from tests.media.media_kit import accept, loopback_only, publisher

CAMERA = PeripheralInfo(id="cam", kind="av_camera", capabilities=["video"], health=Health.OK)


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[tuple[Parts, httpx.AsyncClient]]:
    loopback_only()
    settings = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True)
    async with running_cloud(settings) as pair:
        yield pair


async def _online(cloud: Parts, device: FakeDevice) -> None:
    async with cloud.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.birth()
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


async def _start(http: httpx.AsyncClient, dev: FakeDevice) -> tuple[str, StreamStartArgs]:
    r = await http.post(f"/api/v1/devices/{dev.device_id}/streams", json={"purpose": "monitor"})
    assert r.status_code == 202, r.text
    env = await dev.next_command()
    call = PeripheralCall.model_validate(env.body)
    assert (call.peripheral, call.action) == ("cam", "stream_start")
    assert r.json() == {
        "stream_id": f"mon-{dev.device_id}",
        "call_id": call.call_id,
        "state": "starting",
    }
    return call.call_id, StreamStartArgs.model_validate(call.args)


async def test_a_started_stream_publishes_and_its_end_is_explained(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}", peripherals=[CAMERA]) as dev:
        await _online(cloud, dev)
        call_id, args = await _start(http, dev)
        stream_id = args.stream_id
        assert args.whip_url == f"{cloud.settings.base_url}/api/v1/media/streams/{stream_id}/whip"
        listed = (await http.get("/api/v1/media/streams")).json()
        assert [(s["stream_id"], s["state"]) for s in listed] == [(stream_id, "starting")]
        pub = await publisher()
        try:
            r = await http.post(
                args.whip_url.removeprefix(cloud.settings.base_url),
                content=pub.offer_sdp,
                headers={
                    "Authorization": f"Bearer {args.token}",
                    "Content-Type": "application/sdp",
                },
            )
            assert r.status_code == 201, r.text
            await accept(pub.pc, r.text)
            await dev.ack(
                call_id,
                AckState.SUCCEEDED,
                subject="call",
                result={"stream_id": stream_id, "session_url": r.headers["location"]},
            )
            await cloud.media.followed()
            (live,) = (await http.get("/api/v1/media/streams")).json()
            assert (live["state"], live["device_id"], live["site_path"]) == (
                "live",
                dev.device_id,
                dev.site,
            )
            # the camera is unplugged: the device leaves WHIP and says why
            gone = await http.delete(
                r.headers["location"], headers={"Authorization": f"Bearer {args.token}"}
            )
            assert gone.status_code == 204
            ended = StreamData(
                stream_id=stream_id, state=StreamState.ENDED, reason="camera unplugged"
            )
            await dev.publish(
                DeviceChannel.EVT,
                EventBody(
                    kind=EventKind.STREAM, peripheral="cam", data=ended.model_dump(mode="json")
                ),
            )
            relay = cloud.media.backend
            await relay.until(lambda: not relay.health())  # type: ignore[attr-defined]
            (note,) = (await http.get("/api/v1/media/streams")).json()
            assert (note["state"], note["reason"]) == ("ended", "camera unplugged")
        finally:
            await pub.pc.close()


async def test_a_start_the_device_fails_says_why(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}", peripherals=[CAMERA]) as dev:
        await _online(cloud, dev)
        call_id, _args = await _start(http, dev)
        await dev.ack(
            call_id,
            AckState.FAILED,
            subject="call",
            reason="whip",
            message="whip endpoint answered 401",
        )
        await cloud.media.followed()
        (note,) = (await http.get("/api/v1/media/streams")).json()
        assert note["state"] == "failed"
        assert "whip endpoint answered 401" in note["reason"]


async def test_a_device_without_a_camera_cannot_stream(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await _online(cloud, dev)
        r = await http.post(f"/api/v1/devices/{dev.device_id}/streams", json={"purpose": "monitor"})
        assert r.status_code == 409
        assert "no camera" in r.json()["message"]
    r = await http.post("/api/v1/devices/ghost/streams", json={"purpose": "monitor"})
    assert r.status_code == 404


async def test_the_generic_call_route_sends_a_camera_only_to_this_relay(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}", peripherals=[CAMERA]) as dev:
        await _online(cloud, dev)
        route = f"/api/v1/devices/{dev.device_id}/peripherals/cam/actions/stream_start"
        stream_id = f"mon-{dev.device_id}"
        token = cloud.media.mint_publish(stream_id)
        elsewhere = {
            "stream_id": stream_id,
            "whip_url": "https://evil.example/whip",
            "token": token,
        }
        r = await http.post(route, json=elsewhere)
        assert r.status_code == 403 and "never sent to another WHIP endpoint" in r.json()["message"]
        forged = {**elsewhere, "whip_url": cloud.media.whip_url(stream_id), "token": "x" * 40}
        r = await http.post(route, json=forged)
        assert r.status_code == 403 and "publish token" in r.json()["message"]
        good = {**forged, "token": token}
        r = await http.post(route, json=good)
        assert r.status_code == 202, r.text
        call = PeripheralCall.model_validate((await dev.next_command()).body)
        assert call.action == "stream_start" and call.args["whip_url"] == good["whip_url"]
