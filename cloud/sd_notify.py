"""systemd's notify protocol (sd_notify(3)) without libsystemd, for ``kfleet cloud run``.

Under ``Type=notify`` (``deploy/systemd/kfleet-cloud.service``) systemd waits for ``READY=1``
before it counts the cloud as started, so units ordered after it (and an operator's
``systemctl start``) see a cloud that listens and has migrated. ``WATCHDOG=1`` is sent from the
event loop itself: a loop wedged by a blocking call stops feeding it and systemd restarts the
process after ``WatchdogSec``. Without ``NOTIFY_SOCKET`` (not started by systemd) nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Mapping

import uvicorn

log = logging.getLogger(__name__)


def notify(state: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one notification (``READY=1``, ``WATCHDOG=1``, ``STOPPING=1``...); True if sent.

    A socket that cannot be reached is logged, never raised: the service keeps serving."""
    address = (os.environ if env is None else env).get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as err:
        log.warning("systemd notification %s not sent: %s", state.split("=")[0], err)
        return False
    return True


def watchdog_period_s(env: Mapping[str, str] | None = None) -> float | None:
    """Half of systemd's ``WatchdogSec`` (as sd_watchdog_enabled(3) advises), or None when the
    watchdog is off or meant for another process (``WATCHDOG_PID``)."""
    env = os.environ if env is None else env
    usec, pid = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 2_000_000


async def feed_watchdog(period_s: float) -> None:
    """``WATCHDOG=1`` every ``period_s`` for as long as the event loop turns."""
    while True:
        notify("WATCHDOG=1")
        await asyncio.sleep(period_s)


class NotifyingServer(uvicorn.Server):
    """uvicorn's server that tells systemd when it is ready, alive and stopping."""

    _watchdog: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.should_exit:  # the lifespan failed: no READY, the process exits with an error
            return
        notify(f"READY=1\nMAINPID={os.getpid()}\nSTATUS=serving")
        period = watchdog_period_s()
        if period is not None:
            self._watchdog = asyncio.create_task(feed_watchdog(period), name="sd-watchdog")

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        notify("STOPPING=1\nSTATUS=stopping")
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        await super().shutdown(sockets)
