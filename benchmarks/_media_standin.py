"""A self-contained aiortc relay for ``benchmarks/media.py`` when the cloud's own relay
(``cloud/media/relay.py``) is not in this build: publisher → ``MediaRelay`` → one
``RTCPeerConnection`` per viewer. aiortc decodes the publisher's VP8 and encodes it again
for every viewer (no passthrough), so its figures are an upper bound of what a relay costs."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

from cloud.media.backend import BadOffer, Session, StreamHealth, StreamInfo, StreamNotLive


class StandInBackend:
    name = "standin"

    def __init__(self) -> None:
        self._relay = MediaRelay()
        self._tracks: dict[str, Any] = {}
        self._info: dict[str, StreamInfo] = {}
        self._pcs: dict[str, list[RTCPeerConnection]] = {}
        self._started: dict[str, datetime] = {}

    async def publish(self, stream: StreamInfo, offer_sdp: str) -> Session:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        tracks: list[Any] = []
        pc.on("track", tracks.append)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        except ValueError as err:
            await pc.close()
            raise BadOffer(str(err)) from err
        video = [t for t in tracks if t.kind == "video"]
        if not video:
            await pc.close()
            raise BadOffer("the offer sends no video")
        await pc.setLocalDescription(await pc.createAnswer())
        self._tracks[stream.stream_id] = video[0]
        self._info[stream.stream_id] = stream
        self._started[stream.stream_id] = datetime.now(UTC)
        self._pcs.setdefault(stream.stream_id, []).append(pc)
        return Session(secrets.token_hex(8), pc.localDescription.sdp)

    async def view(self, stream_id: str, offer_sdp: str, viewer: str) -> Session:
        track = self._tracks.get(stream_id)
        if track is None:
            raise StreamNotLive(f"nobody publishes {stream_id}")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        pc.addTrack(self._relay.subscribe(track))
        await pc.setLocalDescription(await pc.createAnswer())
        self._pcs[stream_id].append(pc)
        return Session(secrets.token_hex(8), pc.localDescription.sdp)

    async def leave(self, stream_id: str, session_id: str) -> None:
        return None

    def health(self) -> list[StreamHealth]:
        return [
            StreamHealth(
                info, "live", self._started[sid], 0.0, 0.0, 0.0, None,
                len(self._pcs[sid]) - 1, False, False,
            )
            for sid, info in self._info.items()
        ]  # fmt: skip

    async def close(self) -> None:
        for pcs in self._pcs.values():
            for pc in pcs:
                await pc.close()
