"""A running kiosk agent (the demo world's, with its synthetic camera + microphone) on a real
broker, driven like the cloud drives it: ``stream_start`` over MQTT → the agent publishes to
a WHIP endpoint and says ``live`` in a ``stream`` event; ``stream_stop`` → ``ended``; an
agent that stops ends its streams and leaves their sessions."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from edge_agent.drivers import av_camera
from kfleet.world.world import KioskSpec, RunningKiosk, running_world
from protocols.av import StreamState, monitor_stream_id
from protocols.envelope import Envelope, MsgType, Sender, decode, encode
from protocols.ice_hosts import restrict_ice_hosts
from protocols.jobs import AckState
from protocols.messages import AckBody, EventBody, EventKind, Health, PeripheralCall
from protocols.mqtt_url import parse_mqtt_url
from simulators.av_source import SyntheticAvSource
from tests.agent.whip_kit import TOKEN, WhipEndpoint

TIMEOUT = 20.0


@pytest.fixture(autouse=True)
def _ice_restored() -> Iterator[None]:
    """The world's agents offer loopback only (``[av] ice_host_addresses``), which holds for
    the whole process: later tests in this worker get aioice's own choice back."""
    yield
    restrict_ice_hosts([])


class Cloud:
    """Sends calls to one device and reads its acks and ``stream`` events."""

    def __init__(self, client: aiomqtt.Client, dev: str) -> None:
        self.client, self.dev = client, dev
        self.sender = Sender("cloud-test")
        self.acks: asyncio.Queue[AckBody] = asyncio.Queue()
        self.streams: asyncio.Queue[EventBody] = asyncio.Queue()
        self.health: asyncio.Queue[EventBody] = asyncio.Queue()

    async def pump(self) -> None:
        async for msg in self.client.messages:
            if not isinstance(msg.payload, bytes):
                continue
            env: Envelope[Any] = decode(msg.payload)
            if str(msg.topic).endswith("/ack"):
                self.acks.put_nowait(env.body)
            elif isinstance(env.body, EventBody) and env.body.kind is EventKind.STREAM:
                self.streams.put_nowait(env.body)
            elif isinstance(env.body, EventBody) and env.body.kind is EventKind.PERIPHERAL_HEALTH:
                self.health.put_nowait(env.body)

    async def call(self, call_id: str, action: str, **args: Any) -> AckBody:
        body = PeripheralCall(call_id=call_id, peripheral="camera", action=action, args=args)
        env = self.sender.envelope(MsgType.CMD, body)
        await self.client.publish(f"kf/v1/dev/{self.dev}/cmd", encode(env), qos=1)
        async with asyncio.timeout(TIMEOUT):
            while True:
                ack = await self.acks.get()
                if ack.job_id == call_id and ack.state is not AckState.RUNNING:
                    return ack

    async def stream_event(self, state: StreamState) -> EventBody:
        async with asyncio.timeout(TIMEOUT):
            while True:
                event = await self.streams.get()
                if event.data["state"] == state.value:
                    return event


@asynccontextmanager
async def kiosk(url: str, uid: str, tmp_path: Path) -> AsyncIterator[tuple[Cloud, RunningKiosk]]:
    dev = f"kiosk-{uid}"
    spec = KioskSpec(dev, "qh/hx/golmud/hhl", "自助终端", full_peripherals=True)
    ep = parse_mqtt_url(url)
    async with aiomqtt.Client(ep.host, ep.port, identifier=f"cloud-{uid}") as client:
        await client.subscribe(f"kf/v1/dev/{dev}/ack", qos=1)
        await client.subscribe(f"kf/v1/dev/{dev}/evt", qos=1)
        cloud = Cloud(client, dev)
        pump = asyncio.create_task(cloud.pump())
        try:
            async with running_world([spec], url, tmp_path, connect_timeout_s=TIMEOUT) as world:
                yield cloud, world[0]
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)


async def test_the_cloud_starts_and_stops_a_kiosk_stream_over_mqtt(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    stream = monitor_stream_id(f"kiosk-{uid}")
    async with WhipEndpoint() as whip, kiosk(mosquitto_url, uid, tmp_path) as (cloud, _):
        start = {"stream_id": stream, "whip_url": whip.url(stream), "token": TOKEN, "fps": 10}
        ack = await cloud.call("s1", "stream_start", **start)
        assert ack.state is AckState.SUCCEEDED, ack.message
        assert ack.result["session_url"].startswith(whip.url(stream))
        live = await cloud.stream_event(StreamState.LIVE)
        assert live.peripheral == "camera" and live.data["stream_id"] == stream
        await whip.wait_for(lambda: whip.frames_after(10) and whip.audio_frames > 10)

        ack = await cloud.call("s2", "stream_stop", stream_id=stream)
        assert (ack.state, ack.result) == (
            AckState.SUCCEEDED,
            {"stream_id": stream, "was_running": True},
        )
        ended = await cloud.stream_event(StreamState.ENDED)
        assert ended.data["reason"] == "stopped" and not whip.sessions

        ack = await cloud.call("s3", "stream_start", **start)
        assert ack.state is AckState.SUCCEEDED
        await cloud.stream_event(StreamState.LIVE)
    # the world stopped the agent: its stream's session was left, not abandoned
    assert whip.deleted == ["s1", "s2"] and not whip.sessions


async def test_a_refused_publish_token_fails_the_call_with_the_endpoints_words(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    stream = monitor_stream_id(f"kiosk-{uid}")
    async with WhipEndpoint() as whip, kiosk(mosquitto_url, uid, tmp_path) as (cloud, _):
        ack = await cloud.call(
            "s1", "stream_start", stream_id=stream, whip_url=whip.url(stream), token="w" * 24
        )
    assert (ack.state, ack.reason) == (AckState.FAILED, "peripheral_error")
    assert ack.message == "whip endpoint answered 401: publish token refused"


async def test_a_camera_unplugged_mid_stream_ends_it_and_goes_offline(
    mosquitto_url: str, uid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = monitor_stream_id(f"kiosk-{uid}")
    async with WhipEndpoint() as whip, kiosk(mosquitto_url, uid, tmp_path) as (cloud, running):
        start = {"stream_id": stream, "whip_url": whip.url(stream), "token": TOKEN, "fps": 10}
        assert (await cloud.call("s1", "stream_start", **start)).state is AckState.SUCCEEDED
        await cloud.stream_event(StreamState.LIVE)
        await whip.wait_for(lambda: whip.frames_after(3))
        # the cable is pulled: the open source stops, and opening it again fails
        gone = functools.partial(SyntheticAvSource, closed=True)
        monkeypatch.setitem(av_camera._SOURCES, "synthetic", lambda name, **size: gone(**size))
        running.agent.peripherals["camera"]._video.open().closed = True  # type: ignore[attr-defined]
        ended = await cloud.stream_event(StreamState.ENDED)
        assert (ended.peripheral, ended.data["reason"]) == ("camera", "camera unplugged")
        async with asyncio.timeout(TIMEOUT):
            while (health := await cloud.health.get()).peripheral != "camera":
                continue
        assert health.health is Health.OFFLINE and "did not open" in health.reason
        await whip.wait_for(lambda: not whip.sessions)
