"""Reconnecting: the durable birth-death sequence number and the backoff between attempts."""

from __future__ import annotations

import logging
import os
import random
import time
from pathlib import Path

from edge_agent.errors import AgentError
from edge_agent.set_aside import set_aside

log = logging.getLogger(__name__)

BD_SEQ_FILE = "bd_seq"
#: a second copy, written after the first: the number survives one of the two going bad
BD_SEQ_BACKUP = "bd_seq.bak"
#: larger than this is not a session number this agent wrote (and would not fit the cloud's
#: BIGINT, nor a JSON number a browser reads exactly)
BD_SEQ_MAX = 2**53 - 1


class CorruptCounter(ValueError):
    """A counter file holds something other than a session number."""


class BdSeqError(AgentError):
    """The session counter cannot be read or written: the agent must not connect, since it
    cannot promise a session number it never used before."""


def next_bd_seq(data_dir: Path) -> int:
    """Increment and durably store the birth-death sequence number; returns the new value.

    The cloud takes a birth whose ``bd_seq`` it has already seen end for a stale copy
    (protocol §5), so the number must never go back. It is kept twice (``bd_seq`` and
    ``bd_seq.bak``) and the larger wins. A file that cannot be read is set aside
    (``bd_seq.corrupt-<time>``) with a WARNING; if neither copy can be read the number
    continues from the wall clock in microseconds, above anything counted one by one (a
    session takes far longer than a microsecond to start).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    main = _read_counter(data_dir / BD_SEQ_FILE)
    backup = _read_counter(data_dir / BD_SEQ_BACKUP)
    if main is not None:
        value = max(main, backup or 0) + 1
    elif backup is not None:
        value = backup + 1
        log.warning(
            "the session counter %s was missing or unreadable; continuing from its backup "
            "%s at bd_seq %d",
            data_dir / BD_SEQ_FILE,
            data_dir / BD_SEQ_BACKUP,
            value,
        )
    elif not _was_ever_written(data_dir):
        value = 0  # a fresh data directory: the first session ever
    else:
        value = max(time.time_ns() // 1000, 1)
        log.warning(
            "no readable session counter in %s; continuing from the clock at bd_seq %d so "
            "no earlier session number is used again",
            data_dir,
            value,
        )
    _write_counter(data_dir / BD_SEQ_FILE, value)
    _write_counter(data_dir / BD_SEQ_BACKUP, value)
    return value


def _was_ever_written(data_dir: Path) -> bool:
    """A counter set aside as corrupt means one existed: the directory is not fresh."""
    return any(data_dir.glob(f"{BD_SEQ_FILE}*.corrupt-*"))


def _read_counter(path: Path) -> int | None:
    """The number in ``path``; None if the file does not exist or was set aside as corrupt."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise BdSeqError(
            f"cannot read the session counter {path} ({err}); check the data directory"
        ) from err
    try:
        return _parse_counter(raw)
    except CorruptCounter as err:
        aside = set_aside(path)
        log.warning(
            "the session counter %s is corrupt (%s); moved it to %s — the number it held "
            "is lost, the next session number comes from the other copy or the clock",
            path,
            err,
            aside,
        )
        return None


def _parse_counter(raw: bytes) -> int:
    text = raw.decode("ascii", errors="replace").strip()
    if not text.isdigit() or not text.isascii():
        raise CorruptCounter(f"{raw[:32]!r} is not a number")
    value = int(text)
    if value > BD_SEQ_MAX:
        raise CorruptCounter(f"{value} is out of range (0..{BD_SEQ_MAX})")
    return value


def _write_counter(path: Path, value: int) -> None:
    tmp = path.with_name(f"{path.name}.tmp")
    try:
        with open(tmp, "w") as fh:
            fh.write(f"{value}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        raise BdSeqError(
            f"cannot store the session counter {path} ({err}); free space in the data "
            "directory — the agent does not connect with a session number it cannot keep"
        ) from err


#: The smallest reconnect window as a fraction of the cap (5 s with the default 30 s cap): a
#: fleet that loses its broker at once comes back at about N / 5 s connects per second rather
#: than N / 0.5 s, however short the outage (benchmarks/reconnect_storm.py).
MIN_WINDOW_OF_CAP = 1 / 6


def backoff_window(attempt: int, base: float, cap: float) -> float:
    """How far ahead retry ``attempt`` may land: exponential from ``base``, floored, capped."""
    return min(cap, max(cap * MIN_WINDOW_OF_CAP, base * 2.0 ** min(attempt, 30)))


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Full jitter: uniform in [0, window]. Attempt 0 follows a lost session, so even the
    first retry is spread over the whole minimum window."""
    return random.uniform(0, backoff_window(attempt, base, cap))
