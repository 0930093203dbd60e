"""The media a call needs, through ``parts.media`` (:class:`~cloud.help.calls_model.CallMedia`):
the kiosk's camera stream started when a call is answered and stopped when it is over, the
operator's publish token and the kiosk's view token.

Starting and stopping a device stream waits on the device (a peripheral call), so it runs
beside the request, bounded by a timeout; a failure is logged with its reason and the call
goes on (the operator still talks and is seen; the console shows the kiosk's stream missing).
Without a media service (a cloud built without one) calls work and carry no video.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from cloud.help.calls_model import CallMedia
from cloud.help.ref import CallRef

log = logging.getLogger(__name__)
#: how long starting or stopping the kiosk's stream may take (the device answers the call)
STREAM_CALL_TIMEOUT_S = 20.0


class CallStreams:
    def __init__(self, media: CallMedia | None, token_ttl_s: int) -> None:
        self.media = media
        self._ttl_s = token_ttl_s
        self._tasks: set[asyncio.Task[None]] = set()
        #: (call id, "started"|"stopped"|"failed: reason"), newest last (the tests read it)
        self.log: list[tuple[str, str]] = []

    def publish_token(self, ref: CallRef) -> str | None:
        """The accepting operator's token for WHIP of ``call-<call>-op``."""
        if self.media is None:
            return None
        return self.media.mint_publish(ref.operator_stream_id, self._ttl_s)

    def view_token(self, ref: CallRef) -> str | None:
        """The kiosk's token for WHEP of ``call-<call>-op`` (the operator's picture)."""
        if self.media is None:
            return None
        return self.media.mint_view(ref.operator_stream_id, self._ttl_s, f"kiosk:{ref.device_id}")

    def start_kiosk(self, ref: CallRef) -> None:
        if self.media is not None:
            work = self.media.start_device_stream(
                ref.device_id, ref.kiosk_stream_id, "call_kiosk", ref.site_path
            )
            self._spawn(ref.call_id, "started", work)

    def stop_kiosk(self, ref: CallRef) -> None:
        if self.media is not None:
            work = self.media.stop_device_stream(ref.device_id, ref.kiosk_stream_id)
            self._spawn(ref.call_id, "stopped", work)

    def _spawn(self, call_id: str, done: str, work: Awaitable[object]) -> None:
        task = asyncio.create_task(self._run(call_id, done, work), name=f"help-media-{call_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, call_id: str, done: str, work: Awaitable[object]) -> None:
        try:
            async with asyncio.timeout(STREAM_CALL_TIMEOUT_S):
                await work
            self.log.append((call_id, done))
        except Exception as err:  # the device's or media plane's failure: logged, call goes on
            reason = f"{type(err).__name__}: {err}"[:200]
            log.warning("call %s: kiosk stream not %s: %s", call_id, done, reason)
            self.log.append((call_id, f"failed: {reason}"))

    async def settle(self) -> None:
        """Wait for the stream starts and stops under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
