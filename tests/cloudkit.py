"""Harness for tests and benchmarks: run the app in-process, drive a fake device.

``FakeDevice`` speaks the wire contract from ``protocols`` only (it is not the edge agent), so
cloud tests do not depend on edge code.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal

import aiomqtt
import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from cloud.app import create_app, seed_sites
from cloud.bus import NO_DELAY
from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.envelope import Envelope, MsgType, Sender, decode, encode, wall_ms
from protocols.jobs import AckState
from protocols.messages import (
    AckBody,
    BirthBody,
    EventBody,
    EventKind,
    Health,
    Metric,
    PeripheralInfo,
    Role,
    StateBody,
    TelemetryBody,
    Versions,
)
from protocols.mqtt_url import parse_mqtt_url
from protocols.topics import DeviceChannel, device_topic
from tests.identity_kit import bearer, make_api_token

RECEIPT_PRINTER = PeripheralInfo(
    id="rp1", kind="receipt_printer", model="sim", capabilities=["receipt"], health=Health.OK
)


@asynccontextmanager
async def running_cloud(
    settings: Settings, *, seed: bool = True
) -> AsyncIterator[tuple[Parts, httpx.AsyncClient]]:
    """The app with its lifespan running, an HTTP client on it, and the bus subscribed.

    The client sends an administrator's API token (scope ``qh``, the whole pilot tree) with
    every request; tests of access control make their own callers (tests/identity_kit.py).
    """
    app: FastAPI = create_app(settings)
    cloud: Parts = app.state.parts
    if seed:
        await seed_sites(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        token = await make_api_token(cloud.sessions, name="cloudkit-admin")
        async with httpx.AsyncClient(
            transport=transport, base_url="http://kfleet", headers=bearer(token)
        ) as client:
            async with asyncio.timeout(30):  # as enroll_kit: 10 s ran out at load 17
                await cloud.bus.ready.wait()
            yield cloud, client


class FakeDevice:
    """A minimal device: announces itself, receives commands, sends acks/events/telemetry."""

    def __init__(
        self,
        url: str,
        device_id: str,
        site: str = "qh/hx/golmud/hhl",
        *,
        bd_seq: int = 1,
        peripherals: list[PeripheralInfo] | None = None,
    ) -> None:
        self.url = url
        self.device_id = device_id
        self.site = site
        self.bd_seq = bd_seq
        self.peripherals = [RECEIPT_PRINTER] if peripherals is None else peripherals
        self.version = "fake-0"
        """The agent version its births announce."""
        self.sender = Sender(src=device_id)
        self.commands: asyncio.Queue[Envelope[Any]] = asyncio.Queue()
        self._client: aiomqtt.Client | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> FakeDevice:
        ep = parse_mqtt_url(self.url)
        will = aiomqtt.Will(
            self.topic(DeviceChannel.STATE), self._encode_state(False), qos=1, retain=True
        )
        self._client = aiomqtt.Client(
            ep.host,
            ep.port,
            identifier=f"fake-{self.device_id}-{uuid.uuid4().hex[:6]}",
            username=ep.username,
            password=ep.password,
            will=will,
            socket_options=NO_DELAY,
            protocol=aiomqtt.ProtocolVersion.V5 if ep.version == "5" else None,
        )
        await self._client.__aenter__()
        await self._client.subscribe(self.topic(DeviceChannel.CMD), qos=1)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._client is not None:
            # stop deliveries first (amqtt leaks a connection dropped with messages in flight)
            await self._client.unsubscribe(self.topic(DeviceChannel.CMD))
            # leave the shared test broker clean: clear our retained birth and state
            for channel in (DeviceChannel.BIRTH, DeviceChannel.STATE):
                await self._client.publish(self.topic(channel), b"", qos=1, retain=True)
            await self._client.__aexit__(None, None, None)

    async def _read(self) -> None:
        assert self._client is not None
        own = self.topic(DeviceChannel.CMD)
        async for message in self._client.messages:
            payload = message.payload
            # amqtt 0.12 also hands a new subscriber retained messages of other topics
            if message.topic.value != own or not isinstance(payload, bytes):
                continue
            await self.commands.put(decode(payload, MsgType.CMD))

    def topic(self, channel: DeviceChannel) -> str:
        return device_topic(self.device_id, channel)

    def _encode_state(self, online: bool) -> bytes:
        body = StateBody(online=online, bd_seq=self.bd_seq)
        return encode(self.sender.envelope(MsgType.STATE, body))

    async def publish(
        self, channel: DeviceChannel, body: BaseModel, *, retain: bool = False, corr: str = ""
    ) -> Envelope[Any]:
        env = self.sender.envelope(MsgType(channel.value), body, corr=corr or None)
        await self.publish_raw(channel, encode(env), retain=retain)
        return env

    async def publish_raw(
        self, channel: DeviceChannel | str, payload: bytes, *, retain: bool = False
    ) -> None:
        assert self._client is not None
        topic = self.topic(channel) if isinstance(channel, DeviceChannel) else channel
        await self._client.publish(topic, payload, qos=1, retain=retain)

    async def birth(self, bd_seq: int | None = None) -> None:
        """Announce session ``bd_seq`` (birth then online state, both retained)."""
        if bd_seq is not None:
            self.bd_seq = bd_seq
        body = BirthBody(
            device_id=self.device_id,
            role=Role.KIOSK,
            site=self.site,
            name=f"kiosk {self.device_id}",
            bd_seq=self.bd_seq,
            versions=Versions(agent=self.version, protocol=1),
            peripherals=self.peripherals,
        )
        await self.publish(DeviceChannel.BIRTH, body, retain=True)
        await self.state(True)

    async def state(self, online: bool, bd_seq: int | None = None) -> None:
        body = StateBody(online=online, bd_seq=self.bd_seq if bd_seq is None else bd_seq)
        await self.publish(DeviceChannel.STATE, body, retain=True)

    async def ack(
        self,
        job_id: str,
        state: AckState,
        *,
        attempt: int = 1,
        reason: str = "",
        message: str = "",
        result: dict[str, Any] | None = None,
        subject: Literal["job", "call"] = "job",
    ) -> Envelope[Any]:
        body = AckBody(
            subject=subject,
            job_id=job_id,
            state=state,
            attempt=attempt,
            reason=reason,
            message=message,
            result=result or {},
        )
        return await self.publish(DeviceChannel.ACK, body)

    async def health(self, peripheral: str, health: Health, reason: str = "") -> None:
        body = EventBody(
            kind=EventKind.PERIPHERAL_HEALTH, peripheral=peripheral, health=health, reason=reason
        )
        await self.publish(DeviceChannel.EVT, body)

    async def tele(self, named: Mapping[str, float] | None = None, /, **values: float) -> None:
        """One batch stamped now: ``named`` for metric names with dots (``sys.cpu_pct``)."""
        ts = wall_ms()
        both = {**(named or {}), **values}
        metrics = [Metric(name=k, value=v, ts=ts) for k, v in both.items()]
        await self.publish(DeviceChannel.TELE, TelemetryBody(metrics=metrics))

    async def next_command(self, timeout_s: float = 5.0) -> Envelope[Any]:
        async with asyncio.timeout(timeout_s):
            return await self.commands.get()
