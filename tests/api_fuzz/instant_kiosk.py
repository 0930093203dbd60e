"""A kiosk for the fuzzer: online, with a peripheral for every job kind and every action, that
finishes each job and answers each peripheral call at once.

With it the fuzzer's valid jobs and calls are accepted (201/202) instead of refused for want
of a device, links from a created job reach a real one, and a long-poll (``wait_s`` up to 60 s)
returns at once because everything it waits for has already settled.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from protocols.jobs import AckState, Capability
from protocols.messages import Health, PeripheralInfo
from tests.cloudkit import FakeDevice

#: the kiosk's id and site; the fuzzer finds them through GET /api/v1/devices
KIOSK_ID = "fuzz-kiosk"
KIOSK_SITE = "qh/hx/golmud/hhl"

PERIPHERALS = [
    PeripheralInfo(id=pid, kind=kind, capabilities=caps, health=Health.OK)
    for pid, kind, caps in (
        ("rp1", "receipt_printer", [Capability.RECEIPT]),
        ("a4", "a4_printer", [Capability.A4_PRINT, Capability.COPY]),
        ("cam", "document_camera", [Capability.SCAN]),
        ("hall-cam", "camera", [Capability.SNAPSHOT]),
        ("btn", "call_button", [Capability.CALL_BUTTON]),
        ("pad", "rating_pad", [Capability.RATING]),
    )
]


class InstantKiosk(FakeDevice):
    """Acks every ``job.run`` accepted → running → succeeded and every call succeeded."""

    def __init__(self, url: str) -> None:
        super().__init__(url, KIOSK_ID, KIOSK_SITE, peripherals=list(PERIPHERALS))
        self._worker: asyncio.Task[None] | None = None
        self.answered = 0

    async def __aenter__(self) -> InstantKiosk:
        await super().__aenter__()
        self._worker = asyncio.create_task(self._answer())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await super().__aexit__(*exc)

    async def _answer(self) -> None:
        while True:
            cmd = await self.commands.get()
            body: Any = cmd.body
            op = getattr(body, "op", "")
            if op == "job.run":
                for state in (AckState.ACCEPTED, AckState.RUNNING, AckState.SUCCEEDED):
                    await self.ack(body.job_id, state, attempt=body.attempt)
            elif op == "peripheral.call":
                await self.ack(body.call_id, AckState.SUCCEEDED, subject="call")
            self.answered += 1
