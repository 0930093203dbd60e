"""One light device of the swarm: the agent's wire behaviour on one socket, no agent inside.

What it does, as ``edge_agent.link`` does it (protocol §3–§7): a clean MQTT session whose will
is a retained ``state {online: false, bd_seq}``; ``bd_seq`` one higher at every connection;
subscribes to its ``cmd`` topic, publishes a retained ``birth`` (a receipt printer with the
``receipt`` capability) and a retained ``state {online: true}``, subscribes to its own
``state`` (a late will of an older session is answered with ``online`` again) and to its site's
content (``kf/v1/site/{path}/+``, counted); sends a ``tele`` batch of the agent's system and
printer gauges every ``tele_interval_s`` at QoS 1; answers ``job.run`` with ``accepted``,
``running``, ``succeeded`` (or ``failed``/``expired`` past the envelope's ``exp``), a repeated
``job.run`` of a finished job with its last ack, ``job.cancel`` and ``rebirth`` as the agent does.

What it leaves out, and why that does not change what the cloud and broker see: no durable
outbox (on loopback a message is lost only with its connection, and the benchmark drops
connections only between phases), no journal, no printer (the job "prints" at once, so a
job's round trip measures the cloud and broker, not an ESC/POS simulator).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import uuid
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from kfleet.world import swarm_wire as wire
from protocols.envelope import MsgType, encode
from protocols.envelope import Sender as EnvelopeSender
from protocols.jobs import AckState, FailureReason
from protocols.messages import BirthBody, Health, PeripheralInfo, Role, StateBody, Versions
from protocols.topics import DeviceChannel, device_topic, site_content_filter

log = logging.getLogger(__name__)

PRINTER = PeripheralInfo(
    id="rp1", kind="receipt_printer", model="swarm", capabilities=["receipt"], health=Health.OK
)
#: jobs whose last ack a device remembers (a resent ``job.run`` is answered from here)
REMEMBERED_JOBS = 64
_SYS_GAUGES = (
    "sys.cpu_pct",
    "sys.mem_pct",
    "sys.disk_pct",
    "sys.disk_free_mb",
    "sys.load1",
    "uptime_s",
    "sys.uptime_s",
    "link.rtt_ms",
)


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    device_id: str
    site: str
    keepalive_s: int = 30
    tele_interval_s: float = 30.0


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def mono_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class SwarmDevice(asyncio.Protocol):
    """One device on one TCP connection; a new instance for every connection."""

    def __init__(self, spec: DeviceSpec, bd_seq: int, counters: Counter[str]) -> None:
        self.spec = spec
        self.bd_seq = bd_seq
        self.counters = counters
        self.connack = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.last_sent = time.monotonic()
        self._reader = wire.Reader()
        self._sender = EnvelopeSender(spec.device_id)
        self._pid = 0
        self._jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        dev = spec.device_id
        self.topics = {c: device_topic(dev, c) for c in DeviceChannel}
        self._content = site_content_filter(spec.site)[: -len("+")]  # the prefix it matches

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        will = self._sender.envelope(MsgType.STATE, StateBody(online=False, bd_seq=self.bd_seq))
        hello = wire.connect(
            self.spec.device_id,
            keepalive_s=self.spec.keepalive_s,
            will=wire.Will(self.topics[DeviceChannel.STATE], encode(will)),
        )
        # MQTT lets a client send on before the CONNACK; the broker handles packets in order.
        self._send(hello + wire.subscribe(self._next_pid(), [self.topics[DeviceChannel.CMD]]))
        self.announce()
        self._send(
            wire.subscribe(
                self._next_pid(),
                [self.topics[DeviceChannel.STATE], site_content_filter(self.spec.site)],
            )
        )

    def data_received(self, data: bytes) -> None:
        try:
            for packet in self._reader.feed(data):
                self._on_packet(packet)
        except (wire.WireError, ValueError, KeyError, TypeError) as err:
            self.counters["wire_errors"] += 1
            log.warning("%s: dropping the connection: %s", self.spec.device_id, err)
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.connack.done():
            self.connack.set_exception(ConnectionError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    # --- what the runner calls ------------------------------------------------------------

    def announce(self) -> None:
        """Retained birth then retained ``online``, as the agent does at every session."""
        birth = BirthBody(
            device_id=self.spec.device_id,
            role=Role.KIOSK,
            site=self.spec.site,
            name=self.spec.device_id,
            bd_seq=self.bd_seq,
            versions=Versions(agent="swarm", protocol=1),
            peripherals=[PRINTER],
            tele_interval_s=self.spec.tele_interval_s,
        )
        self._publish_model(DeviceChannel.BIRTH, MsgType.BIRTH, birth, retain=True)
        self._say_online()
        self.counters["births"] += 1

    def send_telemetry(self) -> None:
        now = wall_ms()
        metrics: list[dict[str, Any]] = [
            {"name": name, "value": float(i), "ts": now} for i, name in enumerate(_SYS_GAUGES)
        ]
        tags = {"peripheral": PRINTER.id, "kind": PRINTER.kind}
        metrics.append({"name": "peripheral.health", "value": 0.0, "ts": now, "tags": tags})
        metrics.append({"name": "peripheral.paper", "value": 0.0, "ts": now, "tags": tags})
        self._publish_raw(DeviceChannel.TELE, MsgType.TELE, {"metrics": metrics})
        self.counters["tele"] += 1

    def ping(self) -> None:
        self._send(wire.PINGREQ)

    def disconnect(self) -> None:
        """An orderly goodbye: offline (retained), DISCONNECT (the will is not sent)."""
        self._publish_model(
            DeviceChannel.STATE,
            MsgType.STATE,
            StateBody(online=False, bd_seq=self.bd_seq),
            retain=True,
        )
        self._send(wire.DISCONNECT)
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """The connection breaks (a network blip): the broker publishes the will."""
        if self.transport is not None:
            self.transport.abort()

    # --- incoming -------------------------------------------------------------------------

    def _on_packet(self, packet: wire.Packet) -> None:
        if packet.kind == wire.CONNACK:
            code = packet.body[1] if len(packet.body) > 1 else 255
            if code != 0:
                self.connack.set_exception(ConnectionRefusedError(f"CONNACK code {code}"))
                self.abort()
            elif not self.connack.done():
                self.connack.set_result(None)
        elif packet.kind == wire.PUBLISH:
            message = wire.read_publish(packet)
            if message.qos:
                self._send(wire.puback(message.packet_id))
            self._on_message(message)
        elif packet.kind == wire.PUBACK:
            self.counters["pubacks"] += 1

    def _on_message(self, message: wire.Message) -> None:
        if message.topic == self.topics[DeviceChannel.CMD]:
            self.counters["commands"] += 1
            self._on_command(json.loads(message.payload))
        elif message.topic == self.topics[DeviceChannel.STATE]:
            self._on_own_state(message.payload)
        elif message.topic.startswith(self._content):
            self.counters["content"] += 1

    def _on_own_state(self, payload: bytes) -> None:
        if not payload:  # someone cleared our retained state: put it back
            self._say_online()
            return
        body = json.loads(payload)["body"]
        if not body["online"] and body["bd_seq"] != self.bd_seq:
            self.counters["republished_online"] += 1  # a late will of an older session
            self._say_online()

    def _on_command(self, env: dict[str, Any]) -> None:
        body = env["body"]
        op = body.get("op")
        if op == "job.run":
            self._run_job(env, body)
        elif op == "job.cancel":
            last = self._jobs.get(body["job_id"])
            ack = last or {"job_id": body["job_id"], "state": AckState.CANCELED.value}
            self._ack(ack, env["id"])
        elif op == "rebirth":
            self.announce()
        else:
            self.counters[f"ignored_{op}"] += 1

    def _run_job(self, env: dict[str, Any], body: dict[str, Any]) -> None:
        job_id, attempt = body["job_id"], body.get("attempt", 1)
        done = self._jobs.get(job_id)
        if done is not None and done.get("attempt") == attempt:
            self._ack(done, env["id"])  # a resend: at most once per job id
            return
        base = {"job_id": job_id, "attempt": attempt}
        deadline = body.get("run_by") or env.get("exp")
        if deadline is not None and wall_ms() > deadline:
            last = {**base, "state": AckState.FAILED.value, "reason": FailureReason.EXPIRED.value}
        else:
            self._ack({**base, "state": AckState.ACCEPTED.value}, env["id"])
            self._ack({**base, "state": AckState.RUNNING.value}, env["id"])
            last = {**base, "state": AckState.SUCCEEDED.value}
        self._ack(last, env["id"])
        self._jobs[job_id] = last
        while len(self._jobs) > REMEMBERED_JOBS:
            self._jobs.popitem(last=False)
        self.counters[f"jobs_{last['state']}"] += 1

    # --- outgoing -------------------------------------------------------------------------

    def _ack(self, ack: dict[str, Any], corr: str) -> None:
        self._publish_raw(DeviceChannel.ACK, MsgType.ACK, ack, corr=corr)
        self.counters["acks"] += 1

    def _say_online(self) -> None:
        online = StateBody(online=True, bd_seq=self.bd_seq)
        self._publish_model(DeviceChannel.STATE, MsgType.STATE, online, retain=True)

    def _publish_model(
        self, channel: DeviceChannel, type_: MsgType, body: Any, *, retain: bool
    ) -> None:
        payload = encode(self._sender.envelope(type_, body))
        pid = self._next_pid()
        self._send(wire.publish(self.topics[channel], payload, qos=1, retain=retain, pid=pid))

    def _publish_raw(
        self, channel: DeviceChannel, type_: MsgType, body: dict[str, Any], corr: str | None = None
    ) -> None:
        """The envelope as plain JSON: the hot messages (acks, telemetry) skip pydantic."""
        env: dict[str, Any] = {
            "v": 1,
            "id": uuid.uuid4().hex,
            "src": self.spec.device_id,
            "seq": self._sender.seq,
            "ts": wall_ms(),
            "mono": mono_ms(),
            "type": type_.value,
            "body": body,
        }
        if corr is not None:
            env["corr"] = corr
        self._sender.seq += 1
        payload = json.dumps(env, separators=(",", ":"), ensure_ascii=False).encode()
        pid = self._next_pid()
        self._send(wire.publish(self.topics[channel], payload, qos=1, pid=pid))

    def _next_pid(self) -> int:
        self._pid = self._pid % 65535 + 1
        return self._pid

    def _send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)
            self.last_sent = time.monotonic()
