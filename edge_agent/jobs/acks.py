"""The one ack sink the job runner and the peripheral calls answer through.

``send`` stores an ack for delivery (the outbox never sheds acks); ``send_tracked`` does the
same and returns a future set once the broker acknowledged it (QoS 1 PUBACK), which a movable
job waits for before it may start (:mod:`edge_agent.jobs.movable`); None if it was not stored.
``corr`` is the ``id`` of the ``cmd`` envelope the ack answers (protocol §4).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from protocols.messages import AckBody


class AckSink(Protocol):
    async def send(self, ack: AckBody, corr: str | None) -> None: ...

    async def send_tracked(self, ack: AckBody, corr: str | None) -> asyncio.Future[None] | None: ...
