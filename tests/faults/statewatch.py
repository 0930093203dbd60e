"""A witness on the broker: every ``state`` message of the devices, as the broker delivers it.

The fault tests use it to see the Last Will the broker actually fired (its exact bytes, its
``bd_seq``, when it arrived) and whether the retained state is put right afterwards, without
going through the agent or the cloud under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiomqtt

from cloud.bus import NO_DELAY
from protocols.envelope import decode_device_message
from protocols.messages import StateBody
from protocols.topics import DeviceChannel, device_topic


@dataclass(frozen=True)
class Seen:
    """One state message: whose, what it says, and when it reached the witness."""

    device_id: str
    online: bool
    bd_seq: int
    retained: bool
    at: float  # time.monotonic()
    payload: bytes


class StateWatch:
    """Records every state message of the watched devices; waits for one that matches."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._changed = asyncio.Condition()

    async def wait_for(
        self,
        device_id: str,
        *,
        online: bool,
        bd_seq: int | None = None,
        after: int = 0,
        timeout: float = 30.0,  # noqa: ASYNC109
    ) -> tuple[int, Seen]:
        """The first state of ``device_id`` at index ``after`` or later that says ``online``
        (and names ``bd_seq``, if given); its index in :attr:`seen` and the message."""

        def match() -> tuple[int, Seen] | None:
            for i, s in enumerate(self.seen[after:], start=after):
                if (s.device_id, s.online) == (device_id, online) and bd_seq in (None, s.bd_seq):
                    return i, s
            return None

        try:
            async with asyncio.timeout(timeout), self._changed:
                while (found := match()) is None:
                    await self._changed.wait()
        except TimeoutError:
            seen = [(s.device_id, s.online, s.bd_seq) for s in self.seen]
            raise AssertionError(
                f"no state online={online} bd_seq={bd_seq} of {device_id} within {timeout:g} s "
                f"(from #{after}); seen: {seen}"
            ) from None
        return found

    async def first(self) -> Seen:
        """The first state message seen (waits for it)."""
        async with self._changed:
            while not self.seen:
                await self._changed.wait()
            return self.seen[0]

    async def record(self, message: aiomqtt.Message) -> None:
        topic = str(message.topic)
        payload = message.payload
        if not isinstance(payload, bytes | bytearray) or not payload:
            return  # a cleared retained state
        device_id, env = decode_device_message(topic, bytes(payload))
        body = env.body
        assert isinstance(body, StateBody), body
        seen = Seen(
            device_id, body.online, body.bd_seq, message.retain, time.monotonic(), bytes(payload)
        )
        async with self._changed:
            self.seen.append(seen)
            self._changed.notify_all()


@asynccontextmanager
async def watching(port: int, device_ids: list[str]) -> AsyncIterator[StateWatch]:
    """A :class:`StateWatch` subscribed (QoS 1) to the state topics of ``device_ids`` on the
    broker at ``127.0.0.1:port``, directly (no proxy in between)."""
    watch = StateWatch()
    async with aiomqtt.Client("127.0.0.1", port, socket_options=NO_DELAY) as client:
        for dev in device_ids:
            await client.subscribe(device_topic(dev, DeviceChannel.STATE), qos=1)

        async def read() -> None:
            async for message in client.messages:
                await watch.record(message)

        reader = asyncio.create_task(read())
        try:
            yield watch
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


async def publish_raw(port: int, topic: str, payload: bytes, *, retain: bool) -> None:
    """Publish ``payload`` as is at QoS 1 (e.g. a will the broker fired, replayed late)."""
    async with aiomqtt.Client("127.0.0.1", port, socket_options=NO_DELAY) as client:
        await client.publish(topic, payload, qos=1, retain=retain)


async def retained_state(port: int, device_id: str, timeout: float = 10.0) -> Seen:  # noqa: ASYNC109
    """The state the broker retains for ``device_id`` (what a new subscriber is told)."""
    async with watching(port, [device_id]) as watch, asyncio.timeout(timeout):
        return await watch.first()
