"""The device's live streams: ``stream_start`` / ``stream_stop`` calls land here.

:class:`StreamDesk` holds at most ``[av] max_streams`` publishers (each its own peer
connection and encoder; a camera is read once whatever the number of its streams). A start of
a stream that is already up succeeds again with the same session (its new token serves the
next reconnect); stopping a stream that is not running succeeds. Each publisher's state
changes become ``stream`` events; a stream that ends by itself (camera unplugged, token
expired) leaves the desk. aiortc is imported at the first start, not with the agent.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_agent.av.whip import StreamError, WhipClient
from edge_agent.drivers.interface import Emit, Peripheral
from protocols.av import StreamData, StreamStartArgs
from protocols.messages import EventBody, EventKind

if TYPE_CHECKING:
    from edge_agent.av.publisher import Publisher
    from edge_agent.av.settings import AvSettings, StreamsConfig

log = logging.getLogger(__name__)

#: how long closing all streams (agent stop) may take
CLOSE_TIMEOUT_S = 10.0


class StreamDesk:
    """Starts, keeps and stops the device's streams."""

    def __init__(self, settings: AvSettings, emit: Emit, *, ca_file: Path | None = None) -> None:
        self.settings = settings
        self._emit = emit
        self._whip = WhipClient(settings.whip_timeout_s, ca_file)
        self._streams: dict[str, Publisher] = {}
        self._lock = asyncio.Lock()  # one start or stop at a time: limits and ids stay exact
        self._ice_restricted = False

    @classmethod
    def of(cls, config: StreamsConfig, emit: Emit) -> StreamDesk:
        """The desk for an agent's ``[av]`` settings (HTTPS to the cloud's CA if it has one)."""
        ca_file = config.cloud.ca_file if config.cloud is not None else None
        return cls(config.av, emit, ca_file=ca_file)

    @property
    def streams(self) -> dict[str, Publisher]:
        """The streams running now, by id."""
        return dict(self._streams)

    async def start(self, camera: Peripheral, args: StreamStartArgs) -> dict[str, Any]:
        """Start (or confirm) ``args.stream_id`` from ``camera``; the call's result
        (:class:`~protocols.av.StreamStarted`). Raises :class:`StreamError`."""
        from edge_agent.av.publisher import Publisher
        from edge_agent.drivers.av_camera import AvCamera

        async with self._lock:
            running = self._streams.get(args.stream_id)
            if running is not None and not running.ended.is_set():
                running.renew(args)
                return running.started().model_dump()
            if not isinstance(camera, AvCamera):
                raise StreamError(
                    f"camera {camera.id} is not working (see its health)", retry=False
                )
            if len(self._streams) >= self.settings.max_streams:
                raise StreamError(
                    f"this device already carries {len(self._streams)} streams, its limit "
                    f"([av] max_streams): stop one first",
                    retry=False,
                )
            self._restrict_ice_once()
            publisher = Publisher(camera, args, self.settings, self._whip, self._reporter(camera))
            started = await publisher.start()
            self._streams[args.stream_id] = publisher
        return started.model_dump()

    async def stop(self, stream_id: str) -> dict[str, Any]:
        """Stop ``stream_id`` (already stopped: nothing to do, and that succeeds)."""
        async with self._lock:
            publisher = self._streams.pop(stream_id, None)
        if publisher is None:
            return {"stream_id": stream_id, "was_running": False}
        await publisher.stop("stopped")
        return {"stream_id": stream_id, "was_running": True}

    async def close(self) -> None:
        """Stop every stream (the agent is stopping), bounded in time."""
        async with self._lock:
            streams, self._streams = list(self._streams.values()), {}
        if not streams:
            return
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await asyncio.gather(*(p.stop("agent stopping") for p in streams))
        except TimeoutError:
            log.warning("streams did not close within %g s", CLOSE_TIMEOUT_S)

    def _reporter(self, camera: Peripheral) -> Any:
        async def report(data: StreamData) -> None:
            if data.state.value == "ended":
                current = self._streams.get(data.stream_id)
                if current is not None and current.ended.is_set():
                    del self._streams[data.stream_id]
            event = EventBody(
                kind=EventKind.STREAM,
                peripheral=camera.id,
                reason=data.reason[:200],
                data=data.model_dump(mode="json"),
            )
            await self._emit(event)

        return report

    def _restrict_ice_once(self) -> None:
        """Offer only the configured addresses as ICE host candidates (none: all)."""
        if self._ice_restricted or not self.settings.ice_host_addresses:
            return
        from protocols.ice_hosts import restrict_ice_hosts

        restrict_ice_hosts(list(self.settings.ice_host_addresses))
        self._ice_restricted = True
