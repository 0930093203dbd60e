"""One agent process per data directory: the journal and the outbox are its alone.

An upgrade starts the new version beside the old one (same device id, same data directory).
Both on the broker at once would take the device's MQTT session from each other in turn (one
client id), each running part of the jobs; so the new process waits here, before it opens
its journal or connects, until the old one has stopped and released the lock. The lock is an
``flock`` on ``<data_dir>/agent.lock``: the kernel releases it when the holder dies, however
it dies, so a crashed agent never blocks its successor.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

log = logging.getLogger(__name__)

#: how often a waiting agent tries the lock again (an old agent's orderly stop takes seconds)
RETRY_S = 0.1


@contextlib.asynccontextmanager
async def data_dir_lock(data_dir: Path) -> AsyncIterator[None]:
    """Hold ``<data_dir>/agent.lock`` for the block; wait while another process holds it."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    path = data_dir / "agent.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.warning(
                        "another agent process uses %s: waiting for it to stop (an upgrade "
                        "starts the new agent before stopping the old one)",
                        data_dir,
                    )
                    waited = True
                await asyncio.sleep(RETRY_S)  # polling a lock another process holds
        if waited:
            log.info("the previous agent stopped: taking over %s", data_dir)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
