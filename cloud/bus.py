"""The MQTT worker: one connection owner with a reconnect loop, bounded queues, handler tasks.

Receiving and handling are split by a bounded queue per handler task so a slow database
pushes back on the broker connection instead of growing memory; messages of one device always
land on the same handler, so they are applied in the order the device sent them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import socket
import ssl
import uuid
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, cast

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import BaseModel

from cloud import bus_client
from cloud.bus_inbound import decode_inbound, src_mismatch
from cloud.errors import BusUnavailable
from cloud.reasons import Ignored, Rejected
from cloud.settings import Settings
from cloud.stats import BusStats
from protocols.envelope import Envelope, MsgType, Sender, encode
from protocols.errors import ProtocolError
from protocols.topics import (
    PRESENCE_FILTERS,
    DeviceChannel,
    device_topic,
    parse_device_topic,
    upstream_filter,
)

log = logging.getLogger(__name__)

#: Applies a batch of (device id, envelope) in order; returns the (index, error) that failed.
Handler = Callable[[list[tuple[str, Envelope[Any]]]], Awaitable[list[tuple[int, Exception]]]]
_Item = tuple[str, DeviceChannel, str, bytes]  # topic, channel, device id, payload

PUBLISH_TIMEOUT_S = 5.0
#: an orderly stop waits this long for the connection to close and for handlers to finish
STOP_TIMEOUT_S = 10.0
#: A handler task takes up to this many messages that are already waiting (never waits for
#: more), so the handler can apply them in one transaction.
BATCH_MAX = 64
_RETAINED = frozenset({DeviceChannel.BIRTH, DeviceChannel.STATE})
#: Without TCP_NODELAY every QoS1 round trip waits ~40 ms for Nagle + delayed ACK.
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


class SubscriptionRefused(Exception):
    """The broker accepted the connection but refused the upstream subscription."""


class Inbox(asyncio.Queue[aiomqtt.Message]):
    """What paho received (and acknowledged), outliving each client. :attr:`taken` is the
    message the last :meth:`get` returned until the bus has it in hand: aiomqtt's message
    iterator gets in a task of its own and drops the message it got if the connection task is
    cancelled before it sees it (an orderly stop as a message arrives)."""

    def __init__(self) -> None:
        super().__init__()
        self.taken: aiomqtt.Message | None = None

    async def get(self) -> aiomqtt.Message:
        message = self.taken = await super().get()
        return message

    def queue_type(self) -> type[asyncio.Queue[aiomqtt.Message]]:
        """For :class:`aiomqtt.Client`, which calls ``queue_type(maxsize=...)`` once."""
        return cast(type[asyncio.Queue[aiomqtt.Message]], lambda maxsize=0: self)


class Bus:
    """Owns the broker connection; ``run()`` is the one task that keeps it alive."""

    def __init__(self, settings: Settings, stats: BusStats, handler: Handler) -> None:
        self._settings = settings
        self._stats = stats
        self._handler = handler
        self._client: aiomqtt.Client | None = None
        self._queues: list[asyncio.Queue[_Item]] = [
            asyncio.Queue(settings.bus_queue_size) for _ in range(settings.bus_workers)
        ]
        self.sender = Sender(src=f"cloud-{uuid.uuid4().hex[:8]}")
        #: set while connected and subscribed (tests and health checks wait on it)
        self.ready = asyncio.Event()
        #: loop time of the current connection's subscription (None while disconnected)
        self.connected_since: float | None = None
        #: messages the broker delivered (and paho acknowledged) not yet routed
        self._inbox = Inbox()
        #: the message being routed (a full handler queue makes ``_route`` wait)
        self._in_hand: aiomqtt.Message | None = None
        self._connection_task: asyncio.Task[None] | None = None
        #: commands handed to the connection whose PUBACK is awaited
        self._publishing: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Run the connection loop and the handler tasks until cancelled."""
        async with asyncio.TaskGroup() as tg:
            for i, queue in enumerate(self._queues):
                tg.create_task(self._work(queue), name=f"bus-handler-{i}")
            self._connection_task = tg.create_task(self._connection_loop(), name="bus-connection")

    async def _connection_loop(self) -> None:
        failures = 0
        endpoint = self._settings.mqtt
        while True:
            try:
                async with self._make_client() as client:
                    failures = 0
                    await self._subscribe(client)
                    self._client = client
                    self._stats.connected = True
                    self._stats.connects += 1
                    self.ready.set()
                    self.connected_since = asyncio.get_running_loop().time()
                    log.info("bus connected to %s", endpoint.url)
                    await self._receive(client)
            except SubscriptionRefused as err:
                log.error("%s", err)
            except aiomqtt.MqttError as err:
                log.warning("bus lost the broker at %s: %s", endpoint.url, err)
            except Exception:  # a bug must not end the worker; log it and reconnect
                log.exception("bus connection loop failed; reconnecting")
            finally:
                in_hand, self._in_hand = self._in_hand, None
                if in_hand is not None:  # cancelled while waiting for room in a full queue:
                    await self._route(in_hand, again=True)  # acknowledged, so ours to keep
                taken, self._inbox.taken = self._inbox.taken, None
                if taken is not None:  # got from the inbox for us, then the cancel came
                    await self._route(taken)
                await self._drain_inbox()
                self._client = None
                self.connected_since = None
                self._stats.connected = False
                self.ready.clear()
            failures += 1
            cap = min(self._settings.reconnect_max_s, 0.5 * 2**failures)
            await asyncio.sleep(random.uniform(0, cap))  # full jitter (aiomqtt's recipe)

    async def _subscribe(self, client: aiomqtt.Client) -> None:
        """Subscribe to every device's upstream topics; a refusal (SUBACK 0x80, or an MQTT 5
        failure code) raises: connected but deaf, the cloud would look healthy and hear
        nothing."""
        for topic_filter in self._filters():
            granted = await client.subscribe(topic_filter, qos=1)
            refused = [g for g in granted if (g >= 0x80 if isinstance(g, int) else g.is_failure)]
            if refused:
                raise SubscriptionRefused(
                    f"the broker at {self._settings.mqtt.url} refused the cloud's subscription "
                    f"to {topic_filter!r} ({refused[0]}): the cloud's MQTT identity lacks the "
                    "ACL to read devices' upstream topics (docs/broker-acl.md); retrying"
                )

    def _filters(self) -> list[str]:
        """The upstream filter; in a ``$share`` group also the presence topics, plainly (each
        worker applies every birth and state: ``PRESENCE_FILTERS``)."""
        group = self._settings.mqtt_shared_group
        return [upstream_filter(group), *(PRESENCE_FILTERS if group else ())]

    async def stop(self) -> None:
        """An orderly stop that loses nothing the broker delivered; call before cancelling.

        Persistent session: the subscription stays in it (the broker keeps what devices send
        while we are away), the connection closes, and what was already received is handled
        before this returns. Clean session: unsubscribe first, so the broker stops sending —
        dropping a connection with deliveries in flight would lose them (and makes amqtt
        leak the connection).
        """
        client = self._client
        if client is not None and self._settings.mqtt_session == "clean":
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                await client.unsubscribe(self._filters(), timeout=PUBLISH_TIMEOUT_S)
        if self._publishing:  # commands on their way: let the broker confirm them
            await asyncio.wait(set(self._publishing), timeout=PUBLISH_TIMEOUT_S)
        task = self._connection_task
        if task is None or task.done():
            return
        task.cancel()  # leaving ``async with client`` disconnects; ``finally`` drains the inbox
        await asyncio.wait([task], timeout=STOP_TIMEOUT_S)
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                for queue in self._queues:
                    await queue.join()
        except TimeoutError:
            log.error(
                "bus stop: %d received message(s) not handled within %s s",
                self.queue_depth(),
                STOP_TIMEOUT_S,
            )

    def client_id(self) -> str:
        """Our session's client id: configured, or stable for this host and data directory
        (a restarted cloud finds its session and the messages queued in it)."""
        settings = self._settings
        if settings.mqtt_client_id:
            return settings.mqtt_client_id
        if settings.mqtt_session == "clean":
            return f"kfleet-cloud-{uuid.uuid4().hex[:12]}"
        where = f"{socket.gethostname()}:{settings.data_dir.resolve()}"
        return f"kfleet-cloud-{hashlib.sha256(where.encode()).hexdigest()[:12]}"

    def _make_client(self) -> aiomqtt.Client:
        ep = self._settings.mqtt
        persistent = self._settings.mqtt_session == "persistent"
        kwargs: dict[str, Any] = {}
        if ep.version == "5":
            kwargs["protocol"] = aiomqtt.ProtocolVersion.V5
            kwargs["clean_start"] = not persistent
            if persistent:
                props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = 3600
                kwargs["properties"] = props
        else:
            kwargs["protocol"] = aiomqtt.ProtocolVersion.V311
            kwargs["clean_session"] = not persistent
        return bus_client.Client(
            ep.host,
            ep.port,
            username=ep.username,
            password=ep.password,
            identifier=self.client_id(),
            # paho acknowledges a message as it queues it: the queue is ours (see Inbox)
            queue_type=self._inbox.queue_type(),
            keepalive=self._settings.mqtt_keepalive_s,
            tls_context=ssl.create_default_context() if ep.tls else None,
            socket_options=NO_DELAY,
            **kwargs,
        )

    # -- receiving ---------------------------------------------------------------------------

    async def _receive(self, client: aiomqtt.Client) -> None:
        """Route what paho received until the connection drops (``MqttError``).

        What is already waiting is taken at once; only an empty inbox is awaited through
        aiomqtt's iterator (a task and a wait per message, which also sees the disconnect).
        A readiness callback parses every packet the socket held (``cloud.bus_client``), so a
        run of messages is routed in one turn of the event loop."""
        messages = client.messages
        inbox = self._inbox
        while True:
            message = inbox.get_nowait() if not inbox.empty() else await anext(messages)
            self._in_hand, inbox.taken = message, None
            await self._route(message)
            self._in_hand = None

    async def _drain_inbox(self) -> None:
        """Route what arrived before the connection dropped: it was acknowledged already."""
        left = self._inbox.qsize()
        while not self._inbox.empty():
            await self._route(self._inbox.get_nowait())
        if left:
            log.info("bus: routed %d message(s) received before the connection dropped", left)

    async def _route(self, message: aiomqtt.Message, *, again: bool = False) -> None:
        if not again:
            self._stats.received += 1
        topic = message.topic.value
        try:
            parsed = parse_device_topic(topic)
        except ProtocolError as err:
            self._stats.reject(err.reason, str(err), topic)
            return
        if parsed.channel is DeviceChannel.CMD:
            self._stats.ignore(Ignored.OWN_COMMAND)  # the filter also matches what the cloud sends
            return
        payload = message.payload
        if isinstance(payload, bytearray):
            payload = bytes(payload)
        if not isinstance(payload, bytes):
            self._stats.reject(
                Rejected.NOT_BYTES, f"payload of type {type(payload).__name__}", topic
            )
            return
        if not payload and parsed.channel in _RETAINED:
            self._stats.ignore(Ignored.RETAINED_CLEARED)
            return
        queue = self._queues[zlib.crc32(parsed.device_id.encode()) % len(self._queues)]
        await queue.put((topic, parsed.channel, parsed.device_id, payload))

    async def _work(self, queue: asyncio.Queue[_Item]) -> None:
        while True:
            items = [await queue.get()]
            while len(items) < BATCH_MAX and not queue.empty():
                items.append(queue.get_nowait())
            batch: list[tuple[str, Envelope[Any]]] = []
            meta: list[tuple[str, DeviceChannel]] = []
            for topic, channel, device_id, payload in items:
                try:
                    env = decode_inbound(payload, channel)
                except ProtocolError as bad:
                    self._stats.reject(bad.reason, str(bad), topic)
                    continue
                if env.src != device_id:  # one device speaking on another's topic
                    self._stats.reject(Rejected.SRC_MISMATCH, src_mismatch(env.src, topic), topic)
                    continue
                batch.append((device_id, env))
                meta.append((topic, channel))
            if not batch:
                for _ in items:
                    queue.task_done()
                continue
            try:
                failures = await self._handler(batch)
            except Exception as bug:  # a bug in the handler: count the whole batch
                log.exception("handling a batch of %d messages failed", len(batch))
                failures = [(i, bug) for i in range(len(batch))]
            for _ in items:
                queue.task_done()
            for i, failure in failures:
                (topic, channel), (device_id, env) = meta[i], batch[i]
                log.error(
                    "handling %s message %s from %s failed",
                    channel,
                    env.id,
                    device_id,
                    exc_info=failure,
                )
                self._stats.reject(Rejected.HANDLER_ERROR, repr(failure), topic)

    def queue_depth(self) -> int:
        return sum(q.qsize() for q in self._queues)

    # -- sending -----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._client is not None

    async def send_command(
        self, device_id: str, body: BaseModel, *, ttl_ms: int | None = None
    ) -> None:
        """Publish a ``cmd`` to a device at QoS1 (the broker's PUBACK is awaited in the
        background); raises :class:`BusUnavailable` if not connected."""
        client = self._client
        if client is None:
            raise BusUnavailable(
                f"cannot send a command to {device_id}: the cloud is not connected to the broker "
                f"at {self._settings.mqtt.url}; it will be resent after reconnecting"
            )
        env = self.sender.envelope(MsgType.CMD, body, ttl_ms=ttl_ms)  # ``corr`` is for acks only
        topic = device_topic(device_id, DeviceChannel.CMD)
        # Tasks start in creation order, so commands leave in the order they were sent.
        self._stats.awaiting_puback += 1  # from here, not when the task first runs
        task = asyncio.create_task(self._publish(client, device_id, topic, encode(env)))
        self._publishing.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Task[None]) -> None:
        """A command's publish ended: confirmed, refused or cancelled (even before it ran)."""
        self._publishing.discard(task)
        self._stats.awaiting_puback -= 1

    async def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        """Publish a message of the cloud's own (a notification) and wait for the broker to
        have it (QoS 1: its PUBACK); :class:`BusUnavailable` when not connected or not
        confirmed in time, so the caller can try again later."""
        client = self._client
        if client is None:
            raise BusUnavailable(
                f"cannot publish to {topic}: the cloud is not connected to the broker at "
                f"{self._settings.mqtt.url}"
            )
        try:
            await client.publish(topic, payload, qos=qos, retain=retain, timeout=PUBLISH_TIMEOUT_S)
        except aiomqtt.MqttError as err:
            raise BusUnavailable(f"the broker did not confirm a publish to {topic}: {err}") from err

    async def _publish(
        self, client: aiomqtt.Client, device_id: str, topic: str, payload: bytes
    ) -> None:
        """Hand one command to the broker and wait for its PUBACK, off the caller's path.

        What a command carries is already stored, and the ack timeout and reconcile resend it:
        a request must not wait ``PUBLISH_TIMEOUT_S`` for a link that went silent."""
        try:
            await client.publish(topic, payload, qos=1, timeout=PUBLISH_TIMEOUT_S)
        except aiomqtt.MqttError as err:
            self._stats.unconfirmed += 1
            log.warning(
                "command to %s not confirmed by the broker: %s; it is resent when its ack "
                "timeout passes or the device reconnects",
                device_id,
                err,
            )
            return
        self._stats.published += 1
