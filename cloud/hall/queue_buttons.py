"""The window's call button (``simulators/call_button``, a USB button box on the window PC):
each stored button event of the device a window names (``call_device``) is a window operation.

Buttons count from the window's ``call_button`` (default 1; a box shared by two windows gives
the second one ``call_button = 5``)::

    call_button + 0  press       call next
    call_button + 0  long press  recall (a long press is reported as press then long_press:
                                 the press calls next only if the window holds no ticket, so
                                 the long press then recalls the ticket it holds)
    call_button + 1  press       start serving (the citizen arrived)
    call_button + 2  press       complete
    call_button + 3  press       no-show

A refused operation (nobody waiting, the window paused, an illegal transition) is logged and
counted; the button never raises into ingest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.hall import HallWindow
from cloud.db.models import Site
from cloud.errors import CloudError
from cloud.events import PeripheralEventIn
from cloud.hall.backend import QueueBackend
from protocols.messages import ButtonData, EventKind

log = logging.getLogger(__name__)
#: button offset from ``call_button`` → operation, for a press
PRESS_OPS = {0: "call-next", 1: "start", 2: "complete", 3: "no-show"}


class CallButtonSink:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        queue_for: Callable[[str], QueueBackend],
    ) -> None:
        self._sessions = sessions
        self._queue_for = queue_for
        self.done = 0
        self.refused = 0

    async def on_peripheral_event(self, event: PeripheralEventIn) -> None:
        if event.body.kind is not EventKind.BUTTON:
            return
        try:
            data = ButtonData.model_validate(event.body.data)
        except ValidationError:
            return  # ingest validated it already; a mismatch is not ours to act on
        found = await self._window(event.device_id, data.button)
        if found is None:
            return
        site, window_no, offset = found
        op = "recall" if (offset, data.kind) == (0, "long_press") else PRESS_OPS.get(offset)
        if op is None or (data.kind == "long_press" and op != "recall"):
            return
        try:
            await self._run(op, site, window_no)
            self.done += 1
        except CloudError as err:
            self.refused += 1
            log.info("call button %s at window %s (%s): %s", op, window_no, site, err)

    async def _window(self, device_id: str, button: int) -> tuple[str, str, int] | None:
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(HallWindow.number, HallWindow.call_button, Site.path)
                    .join(Site, Site.id == HallWindow.site_id)
                    .where(HallWindow.call_device == device_id)
                )
            ).all()
        for number, first, path in rows:
            if 0 <= button - first < len(PRESS_OPS):
                return path, number, button - first
        return None

    async def _run(self, op: str, site: str, window_no: str) -> None:
        q = self._queue_for(site)
        if op == "call-next":
            await q.call_next(site, window_no)
        elif op == "recall":
            await q.recall(site, window_no)
        elif op == "start":
            await q.start(site, window_no)
        elif op == "complete":
            await q.complete(site, window_no)
        else:
            await q.no_show(site, window_no)
