"""A seeded synthetic camera + microphone: a moving test pattern and a continuous sine tone.

Video: BGR ``uint8`` frames (640 × 480 by default) of SMPTE-like colour bars with a box that
bounces across them, and a burned-in frame counter and wall-clock timestamp, so a viewer (or
a test) can see that frames move and how old they are, and a strip of black/white blocks
along the top holding the same time in milliseconds with a checksum
(:mod:`simulators.av_stamp`, frames at least 264 × 12 px), so glass-to-glass latency can be
read by a program after VP8 (``benchmarks/media.py``). The box's colour, start and speed come
from ``seed``; its position depends only on the frame number, so a seeded source gives the
same pixels every run once ``clock`` is fixed. ``read() -> (ok, frame)`` mimics
``cv2.VideoCapture``; with ``realtime=True`` it also paces reads at the nominal ``fps``.

Audio: ``read_audio(n) -> int16`` mono samples of a sine tone (1 kHz at 48 kHz by default),
phase-continuous across calls: sample *k* of the stream is the same whatever the chunking.

Fault switches (attributes, also ``?closed=1&frozen=1&silent=1`` in a device name):
``closed`` (never opens, every read fails: an unplugged camera), ``frozen`` (the last frame
repeats exactly: a stalled camera or driver), ``silent`` (audio is all zeros: a muted mic).

Device names: ``synthetic:<name>[?seed=N&fps=F&tone=HZ&closed=1&frozen=1&silent=1]``; the
frame size and fps are the driver's configured ones unless the name overrides them
(``size=WxH``). Whoever runs the agent beside it (``kfleet demo``, tests) registers
:func:`source_from_name` with the agent's ``av_camera`` driver; a simulator imports nothing
of the agent.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from simulators.av_stamp import STAMP_BITS, block_size, draw_stamp

__all__ = [
    "SyntheticAvSource",
    "source_from_name",
]

Image = npt.NDArray[np.uint8]
Samples = npt.NDArray[np.int16]

#: 75 % colour bars, left to right (BGR): white, yellow, cyan, green, magenta, red, blue
_BARS = (
    (191, 191, 191),
    (0, 191, 191),
    (191, 191, 0),
    (0, 191, 0),
    (191, 0, 191),
    (0, 0, 191),
    (191, 0, 0),
)


class SyntheticAvSource:
    """A camera + microphone look-alike with seeded content and fault switches."""

    def __init__(
        self,
        width: int = 640,
        height: int = 480,
        fps: float = 30.0,
        seed: int = 0,
        *,
        tone_hz: float = 1000.0,
        sample_rate: int = 48_000,
        amplitude: float = 0.5,
        closed: bool = False,
        frozen: bool = False,
        silent: bool = False,
        realtime: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if width < 16 or height < 16 or fps <= 0 or sample_rate <= 0:
            raise ValueError("width/height must be at least 16, fps and sample_rate positive")
        if not 0 <= amplitude <= 1:
            raise ValueError("amplitude is a fraction of full scale, 0..1")
        self.width, self.height, self.fps, self.seed = width, height, fps, seed
        self.tone_hz, self.sample_rate, self.amplitude = tone_hz, sample_rate, amplitude
        self.closed, self.frozen, self.silent = closed, frozen, silent
        self.realtime = realtime
        self.clock = clock
        self.frames = 0  # frames rendered so far (the burned-in counter of the next one)
        self.samples = 0  # audio samples delivered so far
        self.released = False
        self._last: Image | None = None
        self._next_due: float | None = None
        rng = np.random.default_rng(seed)
        side = max(8, min(width, height) // 6)
        self._box = side
        self._box_colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        self._start = (int(rng.integers(0, width - side)), int(rng.integers(0, height - side)))
        speed = max(2.0, min(width, height) / 60)
        ang = rng.uniform(0, 2 * math.pi)
        self._velocity = (speed * math.cos(ang), speed * math.sin(ang))
        self._phase0 = float(rng.uniform(0, 2 * math.pi))
        self._background = self._bars()

    # --- the VideoCapture surface ------------------------------------------------------------

    def isOpened(self) -> bool:  # the VideoCapture spelling
        return not (self.closed or self.released)

    def read(self) -> tuple[bool, Image | None]:
        """The next frame, or ``(False, None)`` when closed/released (like VideoCapture)."""
        if not self.isOpened():
            return False, None
        if self.realtime:
            self._pace()
        if self.frozen and self._last is not None:
            return True, self._last.copy()
        self._last = self.render(self.frames, self.clock())
        self.frames += 1
        return True, self._last.copy()

    def release(self) -> None:
        self.released = True

    # --- the microphone -------------------------------------------------------------------------

    def read_audio(self, n_samples: int) -> Samples:
        """The next ``n_samples`` mono int16 samples of the tone (zeros when ``silent``).

        Raises ``OSError`` when closed, like reading from a vanished capture device.
        """
        if n_samples < 0:
            raise ValueError("n_samples must be 0 or more")
        if not self.isOpened():
            raise OSError("synthetic microphone is closed")
        start, self.samples = self.samples, self.samples + n_samples
        if self.silent:
            return np.zeros(n_samples, np.int16)
        k = np.arange(start, start + n_samples, dtype=np.int64)
        # phase from the absolute sample index: exact continuity whatever the chunk sizes
        cycles = (k * self.tone_hz % self.sample_rate) / self.sample_rate
        wave = np.sin(2 * np.pi * cycles + self._phase0) * (self.amplitude * 32767)
        return cast(Samples, np.round(wave).astype(np.int16))

    # --- rendering -----------------------------------------------------------------------------

    def render(self, n: int, wall: float) -> Image:
        """Frame ``n`` stamped with wall-clock time ``wall`` (seconds since the epoch)."""
        img = self._background.copy()
        x, y = self._box_position(n)
        side = self._box
        cv2.rectangle(img, (x, y), (x + side - 1, y + side - 1), self._box_colour, -1)
        cv2.rectangle(img, (x, y), (x + side - 1, y + side - 1), (0, 0, 0), 2)
        stamp = datetime.fromtimestamp(wall, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
        scale = max(0.4, self.height / 600)
        thick = max(1, round(scale * 2))
        band = int(self.height * 0.18)
        img[-band:] = (16, 16, 16)
        line = int(band / 2.4)
        for i, text in enumerate((f"#{n:08d}", stamp)):
            org = (int(self.width * 0.03), self.height - band + line * (i + 1))
            cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (235, 235, 235), thick)
        side = block_size(self.width)
        if side * (STAMP_BITS + 2) <= self.width and side * 3 <= self.height:
            draw_stamp(img, round(wall * 1000))
        return img

    def _bars(self) -> Image:
        img = np.zeros((self.height, self.width, 3), np.uint8)
        edges = np.linspace(0, self.width, len(_BARS) + 1).round().astype(int)
        for colour, x0, x1 in zip(_BARS, edges[:-1], edges[1:], strict=True):
            img[:, x0:x1] = colour
        ramp = np.linspace(0, 255, self.width).astype(np.uint8)  # a grey ramp under the bars
        img[int(self.height * 0.62) : int(self.height * 0.82)] = ramp[None, :, None]
        return img

    def _box_position(self, n: int) -> tuple[int, int]:
        """Bounce off the edges: a triangle wave in each axis."""
        out = []
        for start, v, span in zip(
            self._start,
            self._velocity,
            (self.width - self._box, self.height - self._box),
            strict=True,
        ):
            p = (start + v * n) % (2 * span)
            out.append(int(p if p <= span else 2 * span - p))
        return out[0], out[1]

    def _pace(self) -> None:
        now = time.monotonic()
        due = self._next_due if self._next_due is not None else now
        if due > now:
            time.sleep(due - now)
        self._next_due = max(due, now) + 1 / self.fps


def source_from_name(
    name: str, *, width: int = 640, height: int = 480, fps: float = 30.0
) -> SyntheticAvSource:
    """``synthetic:<name>[?seed=N&fps=F&size=WxH&tone=HZ&closed=1&frozen=1&silent=1]``.

    ``seed`` defaults to a stable number derived from ``<name>``, so two named sources differ.
    """
    spec = name.removeprefix("synthetic:")
    label, _, query = spec.partition("?")
    opts = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    unknown = set(opts) - {"seed", "fps", "size", "tone", "closed", "frozen", "silent"}
    if unknown:
        raise ValueError(f"unknown option(s) in {name!r}: {', '.join(sorted(unknown))}")
    if "size" in opts:
        w, _, h = opts["size"].partition("x")
        width, height = int(w), int(h)
    seed = int(opts["seed"]) if "seed" in opts else sum(label.encode()) * 7919 % 100_003

    def flag(key: str) -> bool:
        return opts.get(key, "0").lower() in {"1", "true", "yes", "on"}

    return SyntheticAvSource(
        width,
        height,
        float(opts.get("fps", fps)),
        seed,
        tone_hz=float(opts.get("tone", 1000.0)),
        closed=flag("closed"),
        frozen=flag("frozen"),
        silent=flag("silent"),
    )
