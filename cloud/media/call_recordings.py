"""Recording of remote-help calls (``help_recording``): when a recorded call is answered both
sides — the kiosk's camera and microphone, the operator's — are written to WebM files by the
relay's recorders; when it is over they are finished, hashed and their rows completed; after
``help_recording_days`` the files are deleted and the rows say when.

A call is recorded only if it said so when it was made (``recording``: the kiosk showed the
citizen the notice). The recorders run in the process that relays the call's streams; the
files go to ``help_recording_dir``, which every process serving playback must see.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import utcnow
from cloud.help.calls_tables import HelpCallRow
from cloud.help.recordings_tables import HelpRecordingRow
from cloud.help.ref import CallRef
from cloud.media.backend import MediaBackend, Recordable
from cloud.media.recorder import RecordingResult, StreamRecorder

log = logging.getLogger(__name__)
#: the two sides of a call, by the stream each records
SIDES = ("kiosk", "operator")
#: how often recordings past ``help_recording_days`` are looked for
EXPIRY_EVERY_S = 3600.0


class CallRecordings:
    """Starts, finishes and expires call recordings (``parts.recordings``: a listener of
    ``parts.help``'s calls; its ``run`` is a worker of the app)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        backend: MediaBackend | None,
        root: Path,
        max_bytes: int,
        keep_days: int,
    ) -> None:
        self._sessions = sessions
        self._backend = backend if isinstance(backend, Recordable) else None
        self._media_named = backend.name if backend is not None else "none"
        self.root = root
        self._max_bytes = max_bytes
        self._keep = timedelta(days=keep_days)
        #: (call id, side) → its recorder, while the call is active in this process
        self._running: dict[tuple[str, str], tuple[str, StreamRecorder]] = {}
        self._lock = asyncio.Lock()

    async def on_call(self, ref: CallRef) -> None:
        """A call changed: start recording when a recorded call becomes active, finish when
        it is over."""
        async with self._lock:
            if ref.state == "active" and not self._running_for(ref.call_id):
                if await self._is_recorded(ref.call_id):
                    await self._start(ref)
            elif ref.state != "active" and self._running_for(ref.call_id):
                await self._finish(ref.call_id)

    def _running_for(self, call_id: str) -> bool:
        return any(key[0] == call_id for key in self._running)

    async def _is_recorded(self, call_id: str) -> bool:
        async with self._sessions() as s:
            row = await s.get(HelpCallRow, call_id)
        return bool(row is not None and row.recording)

    async def _start(self, ref: CallRef) -> None:
        now = utcnow()
        folder = Path(f"{now:%Y}") / f"{now:%m}"
        rows = []
        for side, stream_id in zip(
            SIDES, (ref.kiosk_stream_id, ref.operator_stream_id), strict=True
        ):
            rel = folder / f"{ref.call_id}-{side}.webm"
            recorder = StreamRecorder(self.root / rel, self._max_bytes)
            if self._backend is None:
                recorder.fail(f"media_backend={self._media_named} cannot record: use aiortc")
            else:
                self._backend.record(stream_id, recorder)
            self._running[(ref.call_id, side)] = (stream_id, recorder)
            rows.append(
                HelpRecordingRow(
                    recording_id=f"rec-{secrets.token_hex(12)}",
                    call_id=ref.call_id,
                    side=side,
                    stream_id=stream_id,
                    path=str(rel),
                    started_at=now,
                )
            )
        async with self._sessions() as s:
            s.add_all(rows)
            await s.commit()
        log.info("call %s: recording both sides", ref.call_id)

    async def _finish(self, call_id: str) -> None:
        for key in [k for k in self._running if k[0] == call_id]:
            stream_id, recorder = self._running.pop(key)
            if self._backend is not None:
                self._backend.stop_recording(stream_id)
            result = await recorder.stop()
            digest = await asyncio.to_thread(_sha256, result.path) if result.bytes else ""
            await self._complete(call_id, key[1], result, digest)

    async def _complete(
        self, call_id: str, side: str, result: RecordingResult, digest: str
    ) -> None:
        if result.state == "failed":
            log.warning("call %s: %s recording failed: %s", call_id, side, result.reason)
        async with self._sessions() as s:
            await s.execute(
                update(HelpRecordingRow)
                .where(HelpRecordingRow.call_id == call_id, HelpRecordingRow.side == side)
                .values(
                    state=result.state,
                    reason=result.reason[:200],
                    ended_at=utcnow(),
                    bytes=result.bytes,
                    duration_s=result.duration_s,
                    dropped=result.dropped,
                    sha256=digest,
                )
            )
            await s.commit()

    async def expire(self, now: datetime | None = None) -> int:
        """Delete the files of recordings older than the retention; their rows stay, marked
        ``deleted``. Returns how many were deleted."""
        cutoff = (now or utcnow()) - self._keep
        async with self._sessions() as s:
            rows = (
                await s.scalars(
                    select(HelpRecordingRow).where(
                        HelpRecordingRow.started_at < cutoff,
                        HelpRecordingRow.state.in_(("complete", "failed", "empty")),
                    )
                )
            ).all()
            for row in rows:
                (self.root / row.path).unlink(missing_ok=True)
                row.state, row.deleted_at = "deleted", utcnow()
            await s.commit()
        if rows:
            log.info("call recordings: %d past retention deleted", len(rows))
        return len(rows)

    def file_of(self, row: HelpRecordingRow) -> Path | None:
        """The recording's file if it is there to play (inside the directory, present)."""
        if row.state not in ("complete", "failed"):
            return None
        path = (self.root / row.path).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            return None
        return path

    async def run(self) -> None:
        """The worker: expire once an hour; at the end, finish what is recording."""
        try:
            while True:
                try:
                    await self.expire()
                except Exception:  # a failed pass (database away) is tried again later
                    log.exception("expiring call recordings failed; retrying")
                await asyncio.sleep(EXPIRY_EVERY_S)
        finally:
            await self.close()

    async def close(self) -> None:
        """Finish what is recording (the cloud is stopping: the files stay playable)."""
        async with self._lock:
            for call_id in {key[0] for key in self._running}:
                await self._finish(call_id)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
