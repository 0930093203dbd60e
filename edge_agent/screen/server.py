"""Serving the screen inside the agent: a uvicorn server as one task of the agent's TaskGroup.

The screen is a convenience next to the agent's real work (jobs, health, events), so it must
never take the agent down: a port already in use, a host that is not on this machine, or an
unexpected server error is logged once in a sentence, counted in ``agent.counters``
(``screen_bind_failed`` / ``screen_errors``) and the agent carries on without the page.

We bind the socket ourselves and hand it to uvicorn: uvicorn's own bind failure ends in
``sys.exit``, which would stop the whole agent. uvicorn's signal capture is switched off: the
agent owns SIGINT/SIGTERM and stops the screen (by cancelling this task) in its orderly stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Iterator

import uvicorn

from edge_agent.hall import HallContent
from edge_agent.jobs.review_desk import ReviewDesk
from edge_agent.kiosk import KioskParts
from edge_agent.screen.app import AgentView, create_app

log = logging.getLogger(__name__)

#: an orderly stop waits this long for a request in flight before closing it
GRACEFUL_S = 2
#: connections the kernel holds while the page's server starts or is busy
LISTEN_BACKLOG = 64


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """The agent handles SIGINT/SIGTERM (orderly stop); uvicorn must not take them over."""
        yield


class ScreenServer:
    """The screen of one agent: ``await run()`` in the agent's TaskGroup, cancel it to stop."""

    def __init__(
        self,
        agent: AgentView,
        desk: ReviewDesk | None = None,
        hall: HallContent | None = None,
        kiosk: KioskParts | None = None,
    ) -> None:
        self._agent = agent
        self._desk = desk
        self._hall = hall
        self._kiosk = kiosk
        self.settled = asyncio.Event()
        """Set once the screen accepts connections, or is disabled, or could not be bound."""
        self.serving = False

    async def run(self) -> None:
        """Serve until cancelled; returns at once if the screen is disabled or its address
        cannot be bound (logged and counted: the agent keeps running without it)."""
        self.settled.clear()
        settings = self._agent.config.screen
        sock = await _bind(self._agent, settings.host, settings.port) if settings.enabled else None
        if sock is None:
            self.settled.set()
            return
        try:
            await self._serve(sock, f"http://{_url_host(settings.host, settings.port)}/")
        finally:
            self.serving = False
            sock.close()
            if self._kiosk is not None:
                await self._kiosk.cloud.close()

    async def _serve(self, sock: socket.socket, url: str) -> None:
        config = uvicorn.Config(
            create_app(self._agent, self._desk, self._hall, self._kiosk),
            log_level="warning",
            log_config=None,  # leave the agent's logging alone
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_S,
        )
        server = _Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]), name="screen-uvicorn")
        self.serving = True
        self.settled.set()  # listening: a request now waits in the backlog until served
        log.info("screen: serving %s", url)
        try:
            await asyncio.shield(serving)
        except asyncio.CancelledError:
            server.should_exit = True  # stop accepting, finish requests in flight, close
            await self._finish(serving)
            raise
        except Exception:
            self._agent.counters["screen_errors"] += 1
            log.exception("screen: the web server failed; the agent goes on without the screen")

    async def _finish(self, serving: asyncio.Task[None]) -> None:
        try:
            await serving
        except Exception:
            self._agent.counters["screen_errors"] += 1
            log.exception("screen: the web server failed while stopping")


async def _bind(agent: AgentView, host: str, port: int) -> socket.socket | None:
    """A listening socket on ``host:port``, or None after one log sentence."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as err:
        _bind_failed(agent, host, port, err)
        return None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
    except OSError as err:
        sock.close()
        _bind_failed(agent, host, port, err)
        return None
    return sock


def _bind_failed(agent: AgentView, host: str, port: int, err: OSError) -> None:
    agent.counters["screen_bind_failed"] += 1
    where = _url_host(host, port)
    if err.errno == errno.EADDRINUSE:
        log.error(
            "screen: not served, because port %d on %s is already in use by another program; "
            "stop that program or set another [screen] port in the agent config and restart "
            "the agent (the agent keeps running without the screen)",
            port,
            host,
        )
    else:
        log.error(
            "screen: not served, because http://%s/ cannot be opened (%s); check [screen] host "
            "and port in the agent config and restart the agent (the agent keeps running "
            "without the screen)",
            where,
            err.strerror or err,
        )


def _url_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
