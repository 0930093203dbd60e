"""``parts.help``: the call centre (issue 16) — calls, duty, the call button, and the worker
that lets time act on unanswered calls (ring the next operator, miss after the wait limit)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.help.calls import CALLS_KEY, HelpCalls, Listener
from cloud.help.calls_button import HelpButtonSink
from cloud.help.calls_duty import Duty
from cloud.help.calls_media import CallStreams
from cloud.help.calls_model import CallMedia
from cloud.help.ref import CallDirectory
from cloud.hub import ChangeHub
from cloud.settings import Settings
from fleet.help_calls import Timing

log = logging.getLogger(__name__)
#: how often the worker looks at unanswered calls (ring timeouts and the wait limit are
#: seconds long; a change of any call wakes it at once)
TICK_S = 1.0


class HelpDesk:
    def __init__(self, calls: HelpCalls, duty: Duty, button: HelpButtonSink, hub: ChangeHub):
        self.calls = calls
        self.duty = duty
        self.button = button
        self._hub = hub

    @property
    def directory(self) -> CallDirectory:
        """The calls as the in-call features look them up (``calls`` itself; typed here so
        mypy proves it implements the contract)."""
        return self.calls

    def on_change(self, listener: Listener) -> None:
        """``listener(CallRef)`` after every change of a call (the in-call features)."""
        self.calls.on_change(listener)

    async def run(self) -> None:
        """The worker: ring on, miss; a failed pass is logged and the next one tried."""
        async with self._hub.subscribe(CALLS_KEY) as changes:
            try:
                while True:
                    try:
                        await self.calls.tick()
                    except Exception:
                        log.exception("help-call worker pass failed; retrying")
                    await changes.wait_for(lambda _: True, TICK_S)
            finally:
                await self.calls.close()


def build_help(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    hub: ChangeHub,
    media: CallMedia | None,
    add_sink: Callable[[HelpButtonSink], None],
) -> HelpDesk:
    """The call centre; ``media`` is ``parts.media`` (None: calls without video)."""
    timing = Timing(
        settings.help_ring_timeout_s,
        settings.help_wait_limit_s,
        settings.help_missed_when_nobody_on_duty,
        settings.help_offline_grace_s,
    )
    streams = CallStreams(media, settings.help_token_ttl_s)
    calls = HelpCalls(sessions, hub, timing, streams, settings.help_recording)
    button = HelpButtonSink(sessions, calls, hub)
    add_sink(button)
    return HelpDesk(calls, Duty(sessions, hub, calls), button, hub)
