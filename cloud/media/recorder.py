"""A stream's recorder: the relay's frames in, a WebM file out, on a thread of its own.

The relay calls :meth:`StreamRecorder.feed` for every encoded frame on the event loop; it only
queues (bounded), so a slow disk never slows the stream or its viewers. When the queue is full
the recorder drops frames until the next video key frame (a gap in the record, counted, never
a broken file). A full disk, a vanished directory or the size limit ends the recording with
its reason while the stream and the call go on; what reached the file before stays playable.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cloud.media.recording_file import Frame, WebmFile, vp8_size

log = logging.getLogger(__name__)
#: frames waiting for the disk (about 8 s of 15 fps video and 50 fps audio)
QUEUE_DEPTH = 500


@dataclass(frozen=True, slots=True)
class RecordingResult:
    """How a recording ended."""

    path: Path
    #: ``complete`` (stopped as asked), ``failed`` (``reason`` says why; the file may hold
    #: the part before), ``empty`` (no key frame ever came: no file)
    state: str
    reason: str
    bytes: int
    duration_s: float
    video_frames: int
    audio_frames: int
    dropped: int


class StreamRecorder:
    """Records one stream to ``path`` until :meth:`stop` (at most ``max_bytes`` of media)."""

    def __init__(self, path: Path, max_bytes: int, with_audio: bool = True) -> None:
        self.path = path
        self._max_bytes = max_bytes
        self._file = WebmFile(path, with_audio)
        self._queue: queue.Queue[Frame | None] = queue.Queue(QUEUE_DEPTH)
        self._skip_to_key = False
        self.dropped = 0
        self._failure = ""
        self._stopped = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._drain, name=f"rec-{path.name}", daemon=True)
        self._thread.start()

    @property
    def failure(self) -> str:
        """Why the recording stopped early ("" while it runs or if it did not)."""
        return self._failure

    def fail(self, reason: str) -> None:
        """The relay cannot feed this recording (e.g. it decodes the stream): end it."""
        self._failure = self._failure or reason

    def feed(self, kind: str, payload: bytes, timestamp: int) -> None:
        """One frame from the relay (event loop): queue it, never block."""
        if self._stopped or self._failure:
            return
        if self._skip_to_key:
            if kind != "video" or vp8_size(payload) is None:
                self.dropped += 1
                return
            self._skip_to_key = False
        try:
            self._queue.put_nowait(Frame(kind, payload, timestamp, time.monotonic()))
        except queue.Full:
            self.dropped += 1
            self._skip_to_key = True

    def _drain(self) -> None:
        """The thread: write until the end marker; a write error ends the recording."""
        try:
            while (frame := self._queue.get()) is not None:
                if self._failure:
                    continue
                try:
                    self._file.write(frame)
                except OSError as err:
                    self._failure = _why(err)
                    log.error("recording %s stopped: %s", self.path.name, self._failure)
                    self._close_quietly()
                    continue
                if self._file.bytes_in > self._max_bytes:
                    self._failure = f"size limit reached ({self._max_bytes // 2**20} MiB)"
                    log.warning("recording %s stopped: %s", self.path.name, self._failure)
                    self._close_quietly()
        finally:
            self._close_quietly()
            self._done.set()

    def _close_quietly(self) -> None:
        try:
            self._file.close()
        except OSError as err:  # the trailer did not fit: the file holds what came before
            self._failure = self._failure or _why(err)

    async def stop(self) -> RecordingResult:
        """Finish the file (the trailer written on the thread) and say how it went."""
        if not self._stopped:
            self._stopped = True
            self._queue.put(None)  # the thread drains, so this wait is short
        await asyncio.to_thread(self._done.wait)
        return self._result()

    def _result(self) -> RecordingResult:
        written = self.path.stat().st_size if self.path.exists() else 0
        if not self._file.frames["video"] and not self._failure:
            if self.path.is_file():
                self.path.unlink()
            state, written = "empty", 0
        else:
            state = "failed" if self._failure else "complete"
        return RecordingResult(
            path=self.path,
            state=state,
            reason=self._failure,
            bytes=written,
            duration_s=self._file.duration_s,
            video_frames=self._file.frames["video"],
            audio_frames=self._file.frames["audio"],
            dropped=self.dropped,
        )


def _why(err: OSError) -> str:
    """A short reason an operator can act on."""
    if err.errno == errno.ENOSPC:
        return "disk full: free space under help_recording_dir"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "cannot write help_recording_dir: check its owner and mount"
    return f"write failed: {err.strerror or err}"[:200]
