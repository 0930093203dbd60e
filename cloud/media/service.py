"""``parts.media``: the media plane as the rest of the cloud uses it.

It holds the chosen backend and the token signer, starts and stops a device's camera stream
(a ``stream_start``/``stream_stop`` peripheral call carrying a publish token), knows what each
stream is (purpose, device, site: who may watch it) and what each device last said about its
streams (``stream`` events), so a viewer whose picture stopped is told why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal, PrincipalKind
from cloud.calls import SETTLED, CallService
from cloud.db import devices as device_repo
from cloud.errors import Conflict, NotFound
from cloud.events import PeripheralEventIn
from cloud.help.ref import CallDirectory
from cloud.media.backend import MediaBackend, StreamHealth, StreamInfo, StreamPurpose
from cloud.media.tokens import MediaTokens
from fleet.access import PersonRole
from protocols.av import StreamData, StreamStartArgs, StreamState, StreamStopArgs
from protocols.messages import EventKind

log = logging.getLogger(__name__)

#: how long an ended stream stays in the listing with its reason
ENDED_KEPT_S = 600.0
#: how long what a stream is stays remembered when it is not live (a device's token lives
#: at most a day; after that a stream is placed again from its id)
KNOWN_KEPT_S = 86_400.0


@dataclass(frozen=True, slots=True)
class StartConfig:
    """What a ``stream_start`` carries besides the stream id."""

    base_url: str
    publish_ttl_s: int
    view_ttl_s: int
    call_timeout_s: float
    ice_servers: tuple[dict[str, Any], ...] = ()


@dataclass(slots=True)
class StreamNote:
    """What the cloud last learnt of a stream outside the media itself."""

    info: StreamInfo
    #: starting (call sent), reconnecting, ended, failed (the start call failed)
    state: str
    reason: str = ""
    at: float = 0.0
    call_id: str = ""


class _Runs(Protocol):
    async def run(self) -> None: ...


def purpose_of(stream_id: str) -> StreamPurpose:
    """A stream's purpose from its id's shape (``protocols.av``)."""
    if stream_id.startswith("mon-"):
        return "monitor"
    if stream_id.startswith("call-") and stream_id.endswith("-kiosk"):
        return "call_kiosk"
    if stream_id.startswith("call-") and stream_id.endswith("-op"):
        return "call_operator"
    return "other"


def _service_caller(site_path: str) -> Principal:
    """Who the audit log says sent the stream call: the media service, scoped to the site."""
    return Principal(PrincipalKind.TOKEN, "media", PersonRole.OPERATOR, site_path)


class MediaService:
    """Backend, tokens, device streams and stream notes (``parts.media``)."""

    def __init__(
        self,
        backend: MediaBackend,
        tokens: MediaTokens,
        sessions: async_sessionmaker[AsyncSession],
        calls: CallService,
        config: StartConfig,
    ) -> None:
        self.backend = backend
        self.tokens = tokens
        self.config = config
        self._sessions = sessions
        self._calls = calls
        self._notes: dict[str, StreamNote] = {}
        #: what each stream registered or started here is, and when it was said
        self._known: dict[str, tuple[StreamInfo, float]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        #: the call centre's calls (``parts.help.calls``), set by its wiring: the site of a
        #: ``call-…`` stream comes from its call
        self.directory: CallDirectory | None = None

    # --- tokens -------------------------------------------------------------------------

    def mint_publish(self, stream_id: str, ttl_s: float | None = None) -> str:
        return self.tokens.mint_publish(stream_id, ttl_s or self.config.publish_ttl_s)

    def mint_view(self, stream_id: str, ttl_s: float | None, viewer: str) -> str:
        return self.tokens.mint_view(stream_id, ttl_s or self.config.view_ttl_s, viewer)

    def whep_url(self, stream_id: str) -> str:
        return f"{self.config.base_url}/api/v1/media/streams/{stream_id}/whep"

    def whip_url(self, stream_id: str) -> str:
        return f"{self.config.base_url}/api/v1/media/streams/{stream_id}/whip"

    # --- what a stream is ---------------------------------------------------------------

    def register(self, info: StreamInfo) -> None:
        """Say what a stream is before its publisher arrives (an operator's camera)."""
        self._known[info.stream_id] = (info, time.time())

    async def info_for(self, stream_id: str) -> StreamInfo:
        """What ``stream_id`` is: as registered or started here, else from its id (a monitor
        stream's device, a call's device and site); a stream of unknown shape has no site, so
        only view-token holders may watch it."""
        known = self._known.get(stream_id)
        if known is not None:
            return known[0]
        purpose = purpose_of(stream_id)
        if purpose == "monitor":
            device_id = stream_id.removeprefix("mon-")
            async with self._sessions() as s:
                device = await device_repo.get(s, device_id)
                if device is not None:
                    site = await device_repo.site_path(s, device.site_id)
                    return StreamInfo(stream_id, purpose, device_id, site)
        elif purpose in ("call_kiosk", "call_operator") and self.directory is not None:
            call_id = stream_id.removeprefix("call-").rsplit("-", 1)[0]
            call = await self.directory.get(call_id)
            if call is not None:
                publisher = call.device_id if purpose == "call_kiosk" else None
                return StreamInfo(stream_id, purpose, publisher, call.site_path)
        return StreamInfo(stream_id, purpose, None, "")

    # --- device streams -----------------------------------------------------------------

    async def start_device_stream(
        self,
        device_id: str,
        stream_id: str,
        purpose: StreamPurpose,
        site_path: str,
        caller: Principal | None = None,
    ) -> str:
        """Send the device's camera a ``stream_start`` with a publish token; the peripheral
        call's id. Raises ``NotFound`` (no such device, or no camera), ``Conflict`` (offline),
        ``BusUnavailable``."""
        peripheral = await self._camera_of(device_id)
        args = StreamStartArgs(
            stream_id=stream_id,
            whip_url=self.whip_url(stream_id),
            token=self.mint_publish(stream_id),
            ice_servers=list(self.config.ice_servers),
        )
        info = StreamInfo(stream_id, purpose, device_id, site_path)
        self._known[stream_id] = (info, time.time())
        call = await self._calls.create(
            device_id,
            peripheral,
            "stream_start",
            args.model_dump(mode="json"),
            caller or _service_caller(site_path),
        )
        self._notes[stream_id] = StreamNote(info, "starting", "", time.time(), call.id)
        self._spawn(self._follow(stream_id, call.id, site_path))
        return call.id

    async def stop_device_stream(
        self, device_id: str, stream_id: str, caller: Principal | None = None
    ) -> str:
        """Send ``stream_stop``; the call's id. The relay ends the stream when the device's
        WHIP session goes (after ``media_publisher_grace_s`` at most)."""
        peripheral = await self._camera_of(device_id)
        info = await self.info_for(stream_id)
        args = StreamStopArgs(stream_id=stream_id).model_dump(mode="json")
        call = await self._calls.create(
            device_id, peripheral, "stream_stop", args, caller or _service_caller(info.site_path)
        )
        self._notes[stream_id] = StreamNote(info, "ended", "stopped", time.time(), call.id)
        return call.id

    async def _camera_of(self, device_id: str) -> str:
        async with self._sessions() as s:
            device = await device_repo.require(s, device_id)
            for state in device_repo.peripherals(device):
                if state.kind == "av_camera":
                    return state.id
        raise Conflict(
            f"device {device_id} announced no camera (an av_camera peripheral): it cannot "
            "stream; check the camera's connection and the agent's [peripherals] settings"
        )

    async def _follow(self, stream_id: str, call_id: str, site_path: str) -> None:
        """Record why a start failed (the device's words) for the listing."""
        try:
            call = await self._calls.get(
                call_id, _service_caller(site_path), wait_s=self.config.call_timeout_s
            )
        except NotFound:
            return
        note = self._notes.get(stream_id)
        if note is None or note.call_id != call_id:
            return
        if call.state in SETTLED and call.state != "succeeded":
            note.state, note.at = "failed", time.time()
            note.reason = f"stream_start {call.state}: {call.message or call.reason}"[:200]
            log.warning("stream %s did not start: %s", stream_id, note.reason)
        elif call.state == "succeeded":
            self._notes.pop(stream_id, None)

    # --- stream events ------------------------------------------------------------------

    async def on_peripheral_event(self, event: PeripheralEventIn) -> None:
        """A device's ``stream`` event: remember its state and reason for the listing; an
        ended stream whose publisher already left is ended now (its viewers are told)."""
        if event.body.kind is not EventKind.STREAM:
            return
        try:
            data = StreamData.model_validate(event.body.data)
        except ValidationError:  # ingest validated it already; a mismatch is not ours
            return
        info = await self.info_for(data.stream_id)
        if data.state is StreamState.LIVE:
            self._notes.pop(data.stream_id, None)
            return
        self._notes[data.stream_id] = StreamNote(info, data.state.value, data.reason, time.time())
        end_if_orphaned = getattr(self.backend, "end_if_orphaned", None)
        if data.state is StreamState.ENDED and end_if_orphaned is not None:
            await end_if_orphaned(data.stream_id, data.reason or "ended by its device")

    def notes(self) -> dict[str, StreamNote]:
        """Fresh notes (ended ones are kept :data:`ENDED_KEPT_S`)."""
        now = time.time()
        for stream_id in [k for k, n in self._notes.items() if n.at < now - ENDED_KEPT_S]:
            del self._notes[stream_id]
        live = {h.info.stream_id for h in self.backend.health()}
        for stream_id, (_info, at) in list(self._known.items()):
            if at < now - KNOWN_KEPT_S and stream_id not in live:
                del self._known[stream_id]  # a call's streams, long over: found again by id
        return dict(self._notes)

    def health(self) -> list[StreamHealth]:
        return self.backend.health()

    # --- life ---------------------------------------------------------------------------

    async def run(self) -> None:
        """The backend's own worker (the relay samples figures and ends what nobody ended)."""
        runs: _Runs | None = getattr(self.backend, "run", None) and self.backend  # type: ignore[assignment]
        if runs is not None:
            await runs.run()
        else:
            await asyncio.Event().wait()

    async def followed(self) -> None:
        """Wait until every start call being followed has settled (tests, shutdown)."""
        if self._background:
            await asyncio.wait(list(self._background))

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await self.backend.close()

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
