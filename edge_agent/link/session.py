"""The MQTT link: one session at a time, birth/state presence, and the durable outbox.

Presence follows the Sparkplug pattern. Before every connection attempt the birth-death
sequence number ``bd_seq`` is incremented and written to the data directory, and the MQTT
will is a retained ``state {online: false, bd_seq}``. On connect the agent subscribes to its
``cmd`` topic, publishes a retained ``birth`` then a retained ``state {online: true}`` for
that ``bd_seq``, and only then subscribes to its own ``state`` topic, so the retained copy it
gets back is normally its own, then to the topics other parts of the agent follow
(``edge_agent.link.subscriptions``: the hall's content), again at every connection. If an
offline state of *another* session shows up there later (a will the broker fired late, when
the previous TCP connection finally timed out), the agent publishes ``online`` again so the
retained value never lies.

Reconnecting is an explicit outer loop with full-jitter exponential backoff. Everything else
the agent sends (acks, events, telemetry) is first stored in the durable outbox
(``edge_agent.link.outbox``, bounds and shedding policy there) and sent by one publisher task per
session (``edge_agent.link.publisher``), in order, deleted only after the broker's PUBACK.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiomqtt
from pydantic import BaseModel

from edge_agent.config import AgentConfig
from edge_agent.link.commands import BadCommand, Command, decode_command
from edge_agent.link.credentials import reread_credentials, tls_context
from edge_agent.link.outbox import Entry, Outbox, restamp
from edge_agent.link.pii_guard import masked
from edge_agent.link.publisher import Publisher
from edge_agent.link.reconnect import backoff_delay, next_bd_seq
from edge_agent.link.subscriptions import Subscriptions, as_bytes, cancel_all
from edge_agent.link.timing import CloudClock, RoundTrips
from protocols import mqtt_client
from protocols.envelope import (
    Envelope,
    MsgType,
    Sender,
    decode_device_message,
    encode,
    mono_ms,
    new_message_id,
    wall_ms,
)
from protocols.errors import PayloadError, ProtocolError
from protocols.messages import AckBody, BirthBody, StateBody
from protocols.topics import DeviceChannel, device_topic

log = logging.getLogger(__name__)

#: how long an orderly stop waits to flush the outbox (the rest stays on disk), and then
#: to say "offline"
GOODBYE_TIMEOUT_S = 3.0
#: inbound messages held before aiomqtt drops them (the cloud redelivers unacked jobs)
MAX_INBOUND = 1000

RejectHandler = Callable[[str, str, str], Awaitable[None]]  # reason, message, topic


class AckUplink:
    """The :class:`~edge_agent.jobs.acks.AckSink` over a link's outbox."""

    def __init__(self, link: MqttLink) -> None:
        self._link = link

    async def send(self, ack: AckBody, corr: str | None) -> None:
        await self._link.publish(DeviceChannel.ACK, ack, corr=corr)

    async def send_tracked(self, ack: AckBody, corr: str | None) -> asyncio.Future[None] | None:
        return await self._link.publish_tracked(DeviceChannel.ACK, ack, corr=corr)


class MqttLink:
    """Keeps one MQTT session alive for the agent until :meth:`stop`."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        birth: Callable[[int], BirthBody],
        on_reject: RejectHandler,
        config_path: Path | None = None,
    ) -> None:
        self.config = config
        self._config_path = config_path  # credentials are re-read from it before reconnects
        self._birth = birth
        self._on_reject = on_reject
        self._commands: asyncio.Queue[Command] = asyncio.Queue(MAX_INBOUND)
        self.bd_seq: int | None = None
        self.connected = asyncio.Event()
        self.sessions = 0
        self.republished_online = 0
        self.failures = 0
        self.link_failed = asyncio.Event()
        """Set at every failed connection attempt or lost session (for tests and health)."""
        self._outbox: Outbox | None = None  # opened on first use, closed when run() ends
        self._publisher: Publisher | None = None
        self._delivery_waiters: dict[str, asyncio.Future[None]] = {}
        self._stopping = asyncio.Event()
        self._client: aiomqtt.Client | None = None
        self._sender = Sender(config.device_id)
        self.round_trips = RoundTrips()  # QoS 1 round trips of what we send (link.rtt_ms)
        self.cloud_clock = CloudClock()  # our clock minus the cloud's (clock.offset_ms)
        dev = config.device_id
        self.topics = {c: device_topic(dev, c) for c in DeviceChannel}
        self.subscriptions = Subscriptions()  # more topics to follow (the hall's content)

    # --- API for the agent ----------------------------------------------------------------

    async def commands(self) -> AsyncIterator[Command]:
        """Every command received on the ``cmd`` topic, in order, decoded once: a validated
        envelope or a :class:`~edge_agent.link.commands.BadCommand` (across reconnects)."""
        while True:
            yield await self._commands.get()

    @property
    def acks(self) -> AckUplink:
        """The agent's one ack sink: acks go through the outbox like everything else."""
        return AckUplink(self)

    async def publish(
        self,
        channel: DeviceChannel,
        body: BaseModel,
        *,
        corr: str | None = None,
        droppable: bool = False,
    ) -> bool:
        """Store a message in the outbox for sending; False if it was shed or refused.

        What may be shed depends on the channel only (``edge_agent.link.outbox``): telemetry
        first, events past the hard bound, acks never. ``droppable`` is accepted for older
        callers and changes nothing.
        """
        return self._store(channel, body, corr) is not None

    def _store(self, channel: DeviceChannel, body: BaseModel, corr: str | None) -> str | None:
        """Put one new message in the outbox; its envelope id, or None if not stored."""
        env: Envelope[Any] = Envelope[Any](
            id=new_message_id(),
            src=self.config.device_id,
            seq=0,  # stamped when sent: seq counts the messages of one session
            ts=wall_ms(),
            mono=mono_ms(),
            type=MsgType(channel.value),
            corr=corr,
            body=masked(body),  # no raw ID number or name leaves the device
        )
        try:
            payload = encode(env)
        except PayloadError as err:
            log.error("not sending %s: %s", channel.value, err)
            return None
        stored = self.outbox.put(channel, env.id, payload)
        self.publisher.notify()
        return env.id if stored else None

    async def publish_tracked(
        self, channel: DeviceChannel, body: BaseModel, *, corr: str | None = None
    ) -> asyncio.Future[None] | None:
        """:meth:`publish`, plus a future that is set once the broker has acknowledged this
        message (QoS 1 PUBACK); None if it was not stored."""
        msg_id = self._store(channel, body, corr)
        if msg_id is None:
            return None
        # registered before the event loop runs the publisher again: no PUBACK can be missed
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._delivery_waiters[msg_id] = future
        return future

    def _delivered(self, msg_id: str) -> None:
        future = self._delivery_waiters.pop(msg_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def rebirth(self) -> None:
        """Publish birth and online state again (the cloud asked for it)."""
        client = self._client
        if client is not None and self.bd_seq is not None:
            await self._announce(client, self.bd_seq)

    def stop(self) -> None:
        """Ask :meth:`run` to say offline, disconnect and return."""
        self._stopping.set()

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            settings = self.config.outbox
            path = self.config.data_dir / "outbox.sqlite3"
            self._outbox = Outbox(
                path,
                settings,
                memory_max=self.config.mqtt.outbox_size,
                tele_max_rows=self.config.tele_backlog_rows,
            )
            self._publisher = Publisher(
                self._outbox, settings.max_inflight, on_delivered=self._delivered
            )
        return self._outbox

    @property
    def publisher(self) -> Publisher:
        if self._publisher is None:
            self.outbox  # noqa: B018 (opens both)
        assert self._publisher is not None
        return self._publisher

    # --- the outer loop ---------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, serve, reconnect with backoff; returns after :meth:`stop`."""
        try:
            await self._run()
        finally:
            if self._outbox is not None:
                self._outbox.close()
            self._outbox = self._publisher = None

    async def _run(self) -> None:
        settings = self.config.mqtt
        attempt = 0
        while not self._stopping.is_set():
            self.bd_seq = next_bd_seq(self.config.data_dir)
            try:
                async with self._client_for(self.bd_seq) as client:
                    attempt = 0
                    self.sessions += 1
                    await self._session(client, self.bd_seq)
            except* aiomqtt.MqttError as group:
                log.warning("MQTT link to %s: %s", settings.endpoint.url, group.exceptions[0])
                self.failures += 1
                self.link_failed.set()
            finally:
                self._client = None
                self.connected.clear()
            if self._stopping.is_set():
                break
            mqtt = reread_credentials(self._config_path, self.config.mqtt)
            self.config = self.config.model_copy(update={"mqtt": mqtt})
            delay = backoff_delay(attempt, settings.reconnect_min_s, settings.reconnect_max_s)
            attempt += 1
            log.info("reconnecting in %.1f s", delay)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopping.wait()

    def _client_for(self, bd_seq: int) -> aiomqtt.Client:
        ep = self.config.mqtt.endpoint
        v5 = ep.version == "5"
        will = self._sender.envelope(MsgType.STATE, StateBody(online=False, bd_seq=bd_seq))
        return mqtt_client.Client(
            ep.host,
            ep.port,
            username=ep.username,
            password=ep.password,
            identifier=self.config.client_id,
            protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
            clean_session=None if v5 else True,
            will=aiomqtt.Will(self.topics[DeviceChannel.STATE], encode(will), qos=1, retain=True),
            keepalive=self.config.mqtt.keepalive_s,
            tls_context=tls_context(self.config.mqtt) if ep.tls else None,
            max_queued_incoming_messages=MAX_INBOUND,
            timeout=10,
            # Without TCP_NODELAY each small QoS 1 publish can wait ~40 ms (Nagle's algorithm
            # against the broker's delayed ACK): acks would arrive late at the cloud.
            socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),
        )

    async def _session(self, client: aiomqtt.Client, bd_seq: int) -> None:
        self._sender.seq = 0
        await client.subscribe(self.topics[DeviceChannel.CMD], qos=1)
        await self._announce(client, bd_seq)
        await client.subscribe(self.topics[DeviceChannel.STATE], qos=1)
        for topic_filter in self.subscriptions.filters:
            await client.subscribe(topic_filter, qos=1)
        self._client = client
        self.connected.set()
        log.info(
            "MQTT connected to %s as %s (bd_seq %d)",
            self.config.mqtt.endpoint.url,
            self.config.device_id,
            bd_seq,
        )
        publisher = self.publisher
        try:
            async with asyncio.TaskGroup() as tg:
                reader = tg.create_task(self._read(client, bd_seq))
                writer = tg.create_task(publisher.run(lambda e: self._send(client, e)))
                await self._stopping.wait()  # a failing task cancels this wait
                await cancel_all(reader)
                await self._goodbye(client, bd_seq, flush=publisher)
                await cancel_all(writer)
        except asyncio.CancelledError:
            # cancelled by our owner: still leave "offline" behind rather than a stale "online"
            # (what the outbox holds stays there for the next session)
            await self._goodbye(client, bd_seq, flush=None)
            raise

    async def _announce(self, client: aiomqtt.Client, bd_seq: int) -> None:
        birth = self._sender.envelope(MsgType.BIRTH, self._birth(bd_seq))
        await client.publish(self.topics[DeviceChannel.BIRTH], encode(birth), qos=1, retain=True)
        await self._say_online(client, bd_seq)

    async def _say_online(self, client: aiomqtt.Client, bd_seq: int) -> None:
        state = self._sender.envelope(MsgType.STATE, StateBody(online=True, bd_seq=bd_seq))
        await client.publish(self.topics[DeviceChannel.STATE], encode(state), qos=1, retain=True)

    async def _goodbye(
        self, client: aiomqtt.Client, bd_seq: int, *, flush: Publisher | None
    ) -> None:
        """Let the running publisher flush the outbox (briefly), then say offline (retained)."""
        self.connected.clear()
        try:
            async with asyncio.timeout(GOODBYE_TIMEOUT_S):
                # no new commands, and nothing in flight towards us while we leave (amqtt
                # 0.12 may leave its side of the socket open if a delivery races DISCONNECT)
                await client.unsubscribe(self.topics[DeviceChannel.CMD])
                for topic in (self.topics[DeviceChannel.STATE], *self.subscriptions.filters):
                    await client.unsubscribe(topic)
                if flush is not None:
                    await flush.idle.wait()
        except (TimeoutError, aiomqtt.MqttError) as err:
            log.warning("could not flush the outbox before disconnecting: %r", err)
        try:
            async with asyncio.timeout(GOODBYE_TIMEOUT_S):
                state = self._sender.envelope(MsgType.STATE, StateBody(online=False, bd_seq=bd_seq))
                await client.publish(
                    self.topics[DeviceChannel.STATE], encode(state), qos=1, retain=True
                )
        except (TimeoutError, aiomqtt.MqttError) as err:
            log.warning("could not publish offline state before disconnecting: %s", err)

    # --- the session's tasks ----------------------------------------------------------------

    async def _send(self, client: aiomqtt.Client, entry: Entry) -> None:
        """Publish one outbox message at QoS 1; returns after the broker's PUBACK."""
        payload = restamp(entry.payload, self._sender.seq)
        self._sender.seq += 1
        started = self.round_trips.timer()
        await client.publish(self.topics[entry.channel], payload, qos=1)
        self.round_trips.record(started)

    async def _read(self, client: aiomqtt.Client, bd_seq: int) -> None:
        cmd_topic, state_topic = self.topics[DeviceChannel.CMD], self.topics[DeviceChannel.STATE]
        async for message in client.messages:
            topic = str(message.topic)
            payload = as_bytes(message.payload)
            try:
                if topic == cmd_topic:
                    received = wall_ms()
                    command = decode_command(payload)
                    if not isinstance(command, BadCommand):
                        self.cloud_clock.observe(command.ts, command.mono, received)
                    await self._commands.put(command)
                elif topic == state_topic:
                    await self._on_state(client, bd_seq, topic, payload)
                elif (handler := self.subscriptions.handler_for(topic)) is not None:
                    await handler(topic, payload)
            except aiomqtt.MqttError:
                raise
            except Exception:  # a bug in a handler must not take the link down
                log.exception("error while handling a message on %s", topic)

    async def _on_state(
        self, client: aiomqtt.Client, bd_seq: int, topic: str, payload: bytes
    ) -> None:
        if not payload:
            # someone cleared the retained state: put ours back
            await self._say_online(client, bd_seq)
            return
        try:
            _, env = decode_device_message(topic, payload)
        except ProtocolError as err:
            await self._on_reject(err.reason, str(err), topic)
            return
        state: StateBody = env.body
        if not state.online and state.bd_seq != bd_seq:
            log.info(
                "late will of session %d on our state topic: saying online again", state.bd_seq
            )
            self.republished_online += 1
            await self._say_online(client, bd_seq)
