"""An MQTT-aware proxy between one client and its broker: the fault lands on a packet.

:class:`tests.faults.proxy.TcpProxy` cuts byte streams; this tap reads both directions packet
by packet (MQTT 3.1.1 framing), shows each one to a rule the test sets, and forwards it, drops
it, holds its direction at it or cuts the link at it. So a fault lands at an exact step of a
protocol — "the broker took the ``accepted`` PUBLISH, its PUBACK never reaches the agent" —
driven by what is on the wire, never by wall time. Every packet seen is kept, so a test can
wait for one (:meth:`wait_for`).

A rule runs on the test's event loop before the packet is forwarded: a side effect it has
(SIGSTOP of the agent) happens with the packet already written by the client, not yet read
by the other side.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.faults.accepting import Accepting

UP, DOWN = "up", "down"  # client → broker, broker → client
PUBLISH, PUBACK = 3, 4  # MQTT control packet types


class Verdict(enum.Enum):
    PASS = "pass"
    DROP = "drop"  # swallowed: the other side never sees it, the link stays up
    CUT = "cut"  # swallowed, and the link is cut (both sides reset) until heal()
    HOLD = "hold"  # this direction stalls here (nothing more forwarded) until release()


@dataclass(frozen=True, slots=True)
class Packet:
    """One MQTT control packet as it crossed the tap."""

    direction: str
    type: int
    flags: int
    raw: bytes
    topic: str = ""
    packet_id: int | None = None
    payload: bytes = b""

    def envelope(self) -> dict[str, Any]:
        """The kfleet envelope a PUBLISH carries ({} if it carries none)."""
        try:
            env = json.loads(self.payload)
        except ValueError:
            return {}
        return env if isinstance(env, dict) else {}

    def body(self) -> dict[str, Any]:
        body = self.envelope().get("body")
        return body if isinstance(body, dict) else {}


Rule = Callable[[Packet], Verdict]


def passes(_: Packet) -> Verdict:
    return Verdict.PASS


class MqttTap(Accepting):
    """Forwards ``127.0.0.1:<port>`` to the broker on ``127.0.0.1:<target_port>``."""

    def __init__(self, target_port: int) -> None:
        super().__init__()
        self.target_port = target_port
        self.rule: Rule = passes
        self.seen: list[Packet] = []
        """Every packet that reached the tap, forwarded or not, in order."""
        self.dropped: list[Packet] = []
        """Packets a rule swallowed (DROP or CUT)."""
        self.cuts = 0
        self.refused = 0
        self._open = True
        self._port = 0
        self._released = asyncio.Event()
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._port:
            return self._port
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    async def __aenter__(self) -> MqttTap:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self._port = self.port
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.partition()
        self.release()  # a held pipe ends too (its connection is gone)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close_accepted()

    def partition(self) -> None:
        """Reset every connection (the broker fires the client's will at once) and stop
        listening until :meth:`heal`: a reconnect is refused at once, as by a host that is
        down. (Accepting and then resetting it instead would cost an aiomqtt client its
        whole connect timeout: it does not notice a reset before CONNACK.)"""
        self._open = False
        self.cuts += 1
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def release(self) -> None:
        """Let stalled directions go on (the held packet first); later HOLDs pass at once."""
        self._released.set()

    async def heal(self) -> None:
        """Listen again, on the same port."""
        if not self._open:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self._port)
        self._open = True

    async def wait_for(
        self,
        predicate: Callable[[Packet], bool],
        timeout: float = 30.0,  # noqa: ASYNC109
        what: str = "a packet",
        after: Packet | None = None,
    ) -> Packet:
        """The first packet seen (now or later; after ``after``, if given) that matches."""

        def found() -> Packet | None:
            start = 0 if after is None else self.seen.index(after) + 1
            return next((p for p in self.seen[start:] if predicate(p)), None)

        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: found() is not None)
        except TimeoutError:
            raise AssertionError(f"the tap saw no {what} within {timeout:g} s") from None
        packet = found()
        assert packet is not None
        return packet

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        if not self._open:
            self.refused += 1
            writer.transport.abort()
            up_writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        try:
            async with asyncio.TaskGroup() as tg:
                for task in (
                    tg.create_task(self._pipe(UP, reader, up_writer, writer)),
                    tg.create_task(self._pipe(DOWN, up_reader, writer, up_writer)),
                ):
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
        finally:
            self._writers.difference_update((writer, up_writer))
            writer.transport.abort()
            up_writer.transport.abort()

    async def _pipe(
        self,
        direction: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        back: asyncio.StreamWriter,
    ) -> None:
        """Copy packets until either side ends or a rule cuts; then reset both sides."""
        with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
            while True:
                packet = await read_packet(direction, reader)
                verdict = self.rule(packet)
                async with self._changed:
                    self.seen.append(packet)
                    if verdict in (Verdict.DROP, Verdict.CUT):
                        self.dropped.append(packet)
                    self._changed.notify_all()
                if verdict is Verdict.CUT:
                    self.partition()
                    return
                if verdict is Verdict.HOLD:
                    await self._released.wait()
                if verdict in (Verdict.PASS, Verdict.HOLD):
                    writer.write(packet.raw)
                    await writer.drain()
        writer.transport.abort()
        back.transport.abort()


async def read_packet(direction: str, reader: asyncio.StreamReader) -> Packet:
    """One MQTT 3.1.1 control packet: fixed header, remaining length, the rest."""
    first = await reader.readexactly(1)
    length, multiplier, header = 0, 1, bytearray(first)
    while True:
        byte = (await reader.readexactly(1))[0]
        header.append(byte)
        length += (byte & 0x7F) * multiplier
        if not byte & 0x80:
            break
        multiplier *= 128
    rest = await reader.readexactly(length)
    kind, flags = first[0] >> 4, first[0] & 0x0F
    raw = bytes(header) + rest
    if kind == PUBLISH:
        size = int.from_bytes(rest[:2], "big")
        topic, at = rest[2 : 2 + size].decode(), 2 + size
        packet_id = None
        if (flags >> 1) & 3:
            packet_id, at = int.from_bytes(rest[at : at + 2], "big"), at + 2
        return Packet(direction, kind, flags, raw, topic, packet_id, rest[at:])
    if kind == PUBACK:
        return Packet(direction, kind, flags, raw, packet_id=int.from_bytes(rest[:2], "big"))
    return Packet(direction, kind, flags, raw)


# --- predicates the fault tests use ------------------------------------------------------


def job_run(device_id: str, job_id: str | None = None) -> Callable[[Packet], bool]:
    """The broker delivering a ``job.run`` (of ``job_id``, if given) to ``device_id``."""

    def match(p: Packet) -> bool:
        body = p.body() if p.type == PUBLISH and p.direction == DOWN else {}
        return (
            p.topic == f"kf/v1/dev/{device_id}/cmd"
            and body.get("op") == "job.run"
            and job_id in (None, body.get("job_id"))
        )

    return match


def job_ack(device_id: str, state: str, job_id: str | None = None) -> Callable[[Packet], bool]:
    """``device_id`` publishing an ack ``state`` (of ``job_id``, if given)."""

    def match(p: Packet) -> bool:
        body = p.body() if p.type == PUBLISH and p.direction == UP else {}
        return (
            p.topic == f"kf/v1/dev/{device_id}/ack"
            and body.get("state") == state
            and job_id in (None, body.get("job_id"))
        )

    return match


def puback_of(publish: Packet) -> Callable[[Packet], bool]:
    """The broker's PUBACK of the client's ``publish`` (same packet id, coming back)."""
    assert publish.direction == UP and publish.packet_id is not None

    def match(p: Packet) -> bool:
        return p.type == PUBACK and p.direction == DOWN and p.packet_id == publish.packet_id

    return match
