"""Moving a corrupt state file out of the way, so a recovery is recorded instead of silent.

The agent's small state files (``bd_seq``, the job journal, the outbox) can be damaged by a
failing SD card, a power cut on a file system without barriers or a careless hand. A file
that cannot be read is never overwritten or silently replaced: it is renamed to
``<name>.corrupt-<UTC time>`` next to where it was (SQLite's ``-wal``/``-shm`` companions
with it), kept for an engineer, and the caller logs a WARNING naming it and what was lost.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

#: companions that belong to a SQLite database file and move with it
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def set_aside(path: Path, companions: tuple[str, ...] = ()) -> Path:
    """Rename ``path`` (and ``path + suffix`` for each companion that exists) to
    ``<name>.corrupt-<UTC time>``; returns the new path of ``path``. Never overwrites."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.rename(path, target)
    for suffix in companions:
        with contextlib.suppress(FileNotFoundError):
            os.rename(f"{path}{suffix}", f"{target}{suffix}")
    _sync_dir(path.parent)
    return target


def _sync_dir(directory: Path) -> None:
    """Make renames in ``directory`` durable (a power cut must not bring the bad file back)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
