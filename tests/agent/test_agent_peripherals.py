"""The agent with its whole peripheral set, against the project's own simulators on real brokers:
birth lists every peripheral, an unplugged ID-card reader is reported and tolerated, call-button
presses and ratings become events, and an ID card read leaves the device masked only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt

from edge_agent.agent import Agent
from edge_agent.config import IdCardReaderConfig
from kfleet.world.world import KioskSpec, RunningKiosk, agent_config, running_world
from protocols.envelope import Envelope, MsgType, Sender, decode, encode
from protocols.jobs import AckState, JobKind
from protocols.messages import EventKind, Health, TelemetryBody, make_job_run
from protocols.mqtt_url import parse_mqtt_url
from protocols.serial_frames import Reason
from simulators.escpos_printer import EscPosPrinterSim
from simulators.idcard_reader import SAMPLE_CARDS, IdCardReaderSim
from simulators.rating_pad import Rating

TIMEOUT = 15.0
SITE = "qh/hx/golmud/hhl"
RECEIPT: dict[str, Any] = {"lines": [{"type": "text", "text": "排队号 A023", "align": "center"}]}


@dataclass
class Cloud:
    """The cloud's view of some devices: every message on their topics, raw and decoded."""

    client: aiomqtt.Client
    inbox: asyncio.Queue[tuple[str, bytes]] = field(default_factory=asyncio.Queue)

    async def pump(self) -> None:
        async for msg in self.client.messages:
            if isinstance(msg.payload, bytes) and msg.payload:
                self.inbox.put_nowait((str(msg.topic), msg.payload))

    async def next(self, dev: str, channel: str, pred: Any = None) -> tuple[Envelope[Any], bytes]:
        """The next message of ``dev`` on ``channel`` matching ``pred``, and its raw payload."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                # amqtt 0.12 also hands out retained messages of other clients' topics: filter
                topic, payload = await self.inbox.get()
                if topic != f"kf/v1/dev/{dev}/{channel}":
                    continue
                env = decode(payload)
                if pred is None or pred(env):
                    return env, payload

    async def event(self, dev: str, kind: EventKind, **match: Any) -> tuple[Envelope[Any], bytes]:
        def pred(env: Envelope[Any]) -> bool:
            body = env.body
            return body.kind is kind and all(getattr(body, k) == v for k, v in match.items())

        return await self.next(dev, "evt", pred)

    async def print_receipt(self, dev: str, job_id: str) -> AckState:
        env = Sender("cloud-test").envelope(
            MsgType.CMD, make_job_run(job_id=job_id, kind=JobKind.PRINT_RECEIPT, params=RECEIPT)
        )
        await self.client.publish(f"kf/v1/dev/{dev}/cmd", encode(env), qos=1)
        while True:
            ack, _ = await self.next(dev, "ack", lambda e: e.body.job_id == job_id)
            if ack.body.state not in (AckState.ACCEPTED, AckState.RUNNING):
                return AckState(ack.body.state)


@asynccontextmanager
async def cloud_watching(url: str, name: str, *devs: str) -> AsyncIterator[Cloud]:
    ep = parse_mqtt_url(url)
    async with aiomqtt.Client(ep.host, ep.port, identifier=name) as client:
        for dev in devs:
            await client.subscribe(f"kf/v1/dev/{dev}/+", qos=1)
        cloud = Cloud(client)
        pump = asyncio.create_task(cloud.pump())
        try:
            yield cloud
        finally:
            for dev in devs:  # a completed round trip before leaving (amqtt 0.12)
                await client.unsubscribe(f"kf/v1/dev/{dev}/+")
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)


def specs(uid: str) -> list[KioskSpec]:
    return [
        KioskSpec(f"kiosk-{uid}", SITE, "黄河路 1号自助终端", full_peripherals=True),
        KioskSpec(f"window-{uid}", SITE, "黄河路 1号窗口", role="window", full_peripherals=True),
    ]


def by_id(world: list[RunningKiosk], prefix: str) -> RunningKiosk:
    return next(k for k in world if k.spec.device_id.startswith(prefix))


async def test_birth_lists_every_peripheral_healthy(
    broker_url: str, uid: str, tmp_path: Path
) -> None:
    async with (
        running_world(specs(uid), broker_url, tmp_path, connect_timeout_s=TIMEOUT) as world,
        cloud_watching(broker_url, f"c-{uid}", f"kiosk-{uid}", f"window-{uid}") as cloud,
    ):
        kiosk_birth, _ = await cloud.next(f"kiosk-{uid}", "birth")
        window_birth, _ = await cloud.next(f"window-{uid}", "birth")
        kiosk = by_id(world, "kiosk")
        assert kiosk.idcard is not None and kiosk.call_button is not None  # the help button
        assert not kiosk.task.done()

    def summary(env: Envelope[Any]) -> dict[str, tuple[str, list[str], Health, str]]:
        return {p.id: (p.kind, p.capabilities, p.health, p.reason) for p in env.body.peripherals}

    assert summary(kiosk_birth) == {
        "receipt": ("receipt_printer", ["receipt"], Health.OK, ""),
        "idcard": ("idcard_reader", ["idcard"], Health.OK, ""),
        "doccam": ("doc_camera", ["scan"], Health.OK, ""),
        "camera": ("av_camera", ["snapshot", "video", "audio"], Health.OK, ""),
        "a4": ("a4_printer", ["a4_print", "copy"], Health.OK, ""),
        "callbtn": ("call_button", ["call_button"], Health.OK, ""),
    }
    assert summary(window_birth) == {
        "receipt": ("receipt_printer", ["receipt"], Health.OK, ""),
        "callbtn": ("call_button", ["call_button"], Health.OK, ""),
        "rating": ("rating_pad", ["rating"], Health.OK, ""),
    }


async def test_unplugged_idcard_reader_is_offline_and_receipts_still_print(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    dev = f"kiosk-{uid}"
    fast = {"health_interval_s": 0.2}
    async with (
        running_world(specs(uid)[:1], mosquitto_url, tmp_path, agent_settings=fast) as world,
        cloud_watching(mosquitto_url, f"c-{uid}", dev) as cloud,
    ):
        [kiosk] = world
        assert kiosk.idcard is not None
        assert await cloud.print_receipt(dev, f"j1-{uid}") is AckState.SUCCEEDED
        kiosk.idcard.unplug()
        evt, _ = await cloud.event(dev, EventKind.PERIPHERAL_HEALTH, peripheral="idcard")
        assert evt.body.health is Health.OFFLINE
        assert evt.body.reason in ("unplugged", "port_unavailable")
        assert kiosk.agent.health["idcard"][0] is Health.OFFLINE
        assert kiosk.agent.health["receipt"] == (Health.OK, "")
        assert await cloud.print_receipt(dev, f"j2-{uid}") is AckState.SUCCEEDED
        assert not kiosk.task.done()
    assert len(list((tmp_path / "receipts" / dev).glob("*.txt"))) == 2


async def test_call_button_press_and_rating_become_events(
    broker_url: str, uid: str, tmp_path: Path
) -> None:
    dev = f"window-{uid}"
    async with (
        running_world(specs(uid)[1:], broker_url, tmp_path, connect_timeout_s=TIMEOUT) as world,
        cloud_watching(broker_url, f"c-{uid}", dev) as cloud,
    ):
        [window] = world
        assert window.call_button is not None and window.rating_pad is not None
        await window.call_button.press(3)
        evt, _ = await cloud.event(dev, EventKind.BUTTON)
        assert evt.body.peripheral == "callbtn"
        assert evt.body.data == {"button": 3, "kind": "press"}

        window.rating_pad.script.append(Rating(2, reasons=[Reason.WAIT_LONG]))
        result = await window.agent.request_rating("rating", "C-0042", "3号窗口", 5.0)
        assert result.code == 2
        evt, _ = await cloud.event(dev, EventKind.RATING)
        assert evt.body.peripheral == "rating"
        assert evt.body.data == {
            "case_no": "C-0042",
            "code": 2,
            "name": "不满意",
            "reasons": ["wait_long"],
            "timed_out": False,
        }


@asynccontextmanager
async def auto_read_kiosk(
    url: str, uid: str, tmp_path: Path
) -> AsyncIterator[tuple[Agent, IdCardReaderSim, Cloud]]:
    """A connected kiosk whose ID-card reader reports cards by itself; health checks every
    hour only, so anything reported sooner was not found by the periodic check."""
    dev = f"kiosk-{uid}"
    async with (
        EscPosPrinterSim(out_dir=tmp_path / "receipts") as printer,
        IdCardReaderSim() as reader,
    ):
        config = agent_config(
            KioskSpec(dev, SITE, "黄河路 1号自助终端"),
            url,
            tmp_path,
            printer.port,
            health_interval_s=3600,
        )
        idcard = IdCardReaderConfig(
            type="idcard_ga467",
            id="idcard",
            port=reader.port_path,
            auto_read=True,
            auto_read_interval_s=0.05,
        )
        agent = Agent(config.model_copy(update={"peripherals": [*config.peripherals, idcard]}))
        async with cloud_watching(url, f"c-{uid}", dev) as cloud:
            task = asyncio.create_task(agent.run())
            try:
                async with asyncio.timeout(TIMEOUT):
                    await agent.wait_connected()
                yield agent, reader, cloud
            finally:
                await agent.stop()
                await task


def counter(tele: TelemetryBody, peripheral: str, name: str) -> float | None:
    """The value of peripheral counter ``name`` in a telemetry batch (None if absent)."""
    found = [
        m.value
        for m in tele.metrics
        if m.name == f"peripheral.{name}" and m.tags.get("peripheral") == peripheral
    ]
    assert len(found) <= 1
    return found[0] if found else None


async def test_idcard_read_event_carries_masked_data_only(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    dev = f"kiosk-{uid}"
    card = SAMPLE_CARDS[0]
    async with auto_read_kiosk(mosquitto_url, uid, tmp_path) as (agent, reader, cloud):
        assert counter(agent.telemetry(), "idcard", "reads") == 0
        reader.insert(card)
        evt, payload = await cloud.event(dev, EventKind.IDCARD_READ)
        tele = agent.telemetry()
    assert evt.body.peripheral == "idcard"
    assert evt.body.data == {"id_number": "6328**********0137", "name": "王*"}
    assert counter(tele, "idcard", "reads") == 1
    tele_json = tele.model_dump_json().encode()
    for raw in (payload, tele_json):
        text = json.dumps(json.loads(raw), ensure_ascii=False)
        for secret in (card.id_number, card.name, card.address, "19880512"):
            assert secret not in text
            assert secret.encode() not in raw
            assert json.dumps(secret).strip('"').encode() not in raw  # nor \\u-escaped


async def test_unplugged_idcard_reader_is_reported_at_once(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    async with auto_read_kiosk(mosquitto_url, uid, tmp_path) as (agent, reader, cloud):
        assert agent.health["idcard"] == (Health.OK, "")
        reader.unplug()
        evt, _ = await cloud.event(f"kiosk-{uid}", EventKind.PERIPHERAL_HEALTH)
        assert (evt.body.peripheral, evt.body.health) == ("idcard", Health.OFFLINE)
        assert evt.body.reason in ("unplugged", "port_unavailable")
        assert counter(agent.telemetry(), "idcard", "read_errors") >= 1  # type: ignore[operator]


async def test_peripheral_counters_reach_telemetry(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    dev = f"window-{uid}"
    async with (
        running_world(specs(uid)[1:], mosquitto_url, tmp_path, connect_timeout_s=TIMEOUT) as world,
        cloud_watching(mosquitto_url, f"c-{uid}", dev) as cloud,
    ):
        [window] = world
        assert window.call_button is not None and window.rating_pad is not None
        before = window.agent.telemetry()
        assert counter(before, "callbtn", "presses") in (None, 0)
        await window.call_button.press(2)
        await cloud.event(dev, EventKind.BUTTON)
        window.rating_pad.script.append(Rating(5))
        await window.agent.request_rating("rating", "C-0043", "3号窗口", 5.0)
        assert await cloud.print_receipt(dev, f"j-{uid}") is AckState.SUCCEEDED
        tele = window.agent.telemetry()
    assert counter(tele, "callbtn", "presses") == 1
    assert counter(tele, "callbtn", "connects") == 1
    assert counter(tele, "rating", "ratings.5") == 1
    assert counter(tele, "receipt", "receipts") == 1
    assert counter(tele, "receipt", "bytes") > 0  # type: ignore[operator]
    press = next(m for m in tele.metrics if m.name == "peripheral.presses")
    assert press.tags == {"peripheral": "callbtn", "kind": "call_button"}
    assert TelemetryBody.model_validate_json(tele.model_dump_json()) == tele  # fits the wire


async def test_unplugged_serial_devices_are_reported_at_once(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    """The health period is an hour: the events can only come from the drivers' own notice."""
    dev = f"window-{uid}"
    slow = {"health_interval_s": 3600}
    async with (
        running_world(specs(uid)[1:], mosquitto_url, tmp_path, agent_settings=slow) as world,
        cloud_watching(mosquitto_url, f"c-{uid}", dev) as cloud,
    ):
        [window] = world
        assert window.call_button is not None and window.rating_pad is not None
        await cloud.next(dev, "birth")
        window.call_button.unplug()
        evt, _ = await cloud.event(dev, EventKind.PERIPHERAL_HEALTH, peripheral="callbtn")
        assert (evt.body.health, evt.body.reason) == (Health.OFFLINE, "unplugged")
        window.rating_pad.unplug()
        evt, _ = await cloud.event(dev, EventKind.PERIPHERAL_HEALTH, peripheral="rating")
        assert (evt.body.health, evt.body.reason) == (Health.OFFLINE, "unplugged")
        window.call_button.replug()
        evt, _ = await cloud.event(dev, EventKind.PERIPHERAL_HEALTH, peripheral="callbtn")
        while evt.body.health is not Health.OK:  # reconnecting: unknown first, then ok
            evt, _ = await cloud.event(dev, EventKind.PERIPHERAL_HEALTH, peripheral="callbtn")
        assert window.agent.health["callbtn"] == (Health.OK, "")
