"""A device that connects without a will (or forges a birth): nothing ever tells the cloud it
left, which is the case liveness exists for."""

from __future__ import annotations

import uuid

import aiomqtt

from protocols.envelope import MsgType, Sender, encode, wall_ms
from protocols.messages import BirthBody, Metric, Role, StateBody, TelemetryBody, Versions
from protocols.mqtt_url import parse_mqtt_url
from protocols.topics import DeviceChannel, device_topic


class WillessDevice:
    """Publishes a retained birth + online state, events on demand; never a will."""

    def __init__(self, url: str, device_id: str, heartbeat_s: float, bd_seq: int = 1) -> None:
        self.url = url
        self.device_id = device_id
        self.heartbeat_s = heartbeat_s
        self.bd_seq = bd_seq
        self.sender = Sender(src=device_id)

    def _client(self) -> aiomqtt.Client:
        ep = parse_mqtt_url(self.url)
        return aiomqtt.Client(ep.host, ep.port, identifier=f"willess-{uuid.uuid4().hex[:8]}")

    async def _send(self, channel: DeviceChannel, payload: bytes, retain: bool = False) -> None:
        async with self._client() as client:  # connect, say it, leave: no will to fire
            await client.publish(device_topic(self.device_id, channel), payload, 1, retain)

    async def birth(self, site: str = "qh/hx/golmud/hhl") -> None:
        body = BirthBody(
            device_id=self.device_id,
            role=Role.KIOSK,
            site=site,
            name=f"forged {self.device_id}",
            bd_seq=self.bd_seq,
            versions=Versions(agent="forged-0", protocol=1),
            peripherals=[],
            tele_interval_s=self.heartbeat_s,
        )
        birth = encode(self.sender.envelope(MsgType.BIRTH, body))
        state = encode(
            self.sender.envelope(MsgType.STATE, StateBody(online=True, bd_seq=self.bd_seq))
        )
        await self._send(DeviceChannel.BIRTH, birth, retain=True)
        await self._send(DeviceChannel.STATE, state, retain=True)

    async def tele(self, value: float = 12.5) -> None:
        """One telemetry batch: any message is a sign of life."""
        body = TelemetryBody(metrics=[Metric(name="sys.cpu_pct", value=value, ts=wall_ms())])
        await self._send(DeviceChannel.TELE, encode(self.sender.envelope(MsgType.TELE, body)))

    async def clear(self) -> None:
        """Leave the shared broker clean: no retained birth or state of ours."""
        for channel in (DeviceChannel.BIRTH, DeviceChannel.STATE):
            await self._send(channel, b"", retain=True)
