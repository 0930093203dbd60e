"""Processes the fault tests start, kill with SIGKILL and start again: Mosquitto, agent, cloud.

Every runner is a context manager whose exit kills what it started, so a failing test never
leaves a process behind. Output goes to a log file in the test's tmp dir (shown on failure by
:func:`tail`), never to a pipe nobody reads.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar

import httpx
import pytest

from edge_agent.agent import Agent
from edge_agent.config import load_config
from kfleet.world.net import free_port
from tests.identity_kit import bearer, token_for_database

T = TypeVar("T")

#: how long a process gets to come up (2 shared cores, cold imports)
#: (importing the CLI alone took 35-42 s of wall time at load 21: test_idempotency_two_clouds)
START_TIMEOUT_S = 180.0  # a bound, not a wait: 30 s, then 60 s were missed at load 20+


async def wait_port(port: int, timeout: float = START_TIMEOUT_S) -> None:  # noqa: ASYNC109
    """Until something accepts TCP connections on 127.0.0.1:``port`` (a process we started)."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)  # polling a port another process opens: no event
                continue
            writer.close()
            await writer.wait_closed()
            return


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    timeout: float = 30.0,  # noqa: ASYNC109
    what: str = "the condition",
) -> T:
    """Poll ``probe`` (a REST call, a file another process writes) until it returns non-None."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.1)  # polling another process's state: there is no event


def tail(path: Path, lines: int = 40) -> str:
    """The end of a log file, for assertion messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} is missing)"


class _Proc:
    """One child process at a time; ``kill`` is SIGKILL, ``stop`` is SIGTERM."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    def _spawn(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        assert self.proc is None, "already running"
        self._out = open(self.log, "ab")  # noqa: SIM115 (closed in _reap)
        self.proc = subprocess.Popen(
            argv, stdout=self._out, stderr=subprocess.STDOUT, env=env or {**os.environ}
        )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush, no saved state."""
        self._signal(signal.SIGKILL)
        self._reap()

    def pause(self) -> None:
        """SIGSTOP: the process is frozen (its sockets stay open, nothing is read)."""
        self._signal(signal.SIGSTOP)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end in time."""
        self._signal(signal.SIGTERM)
        try:
            if self.proc is not None:
                self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
        self._reap()

    def _signal(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def _reap(self) -> None:
        if self.proc is not None:
            self.proc.wait(timeout=15)
            self.proc = None
        if self._out is not None:
            self._out.close()
            self._out = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill()


class Mosquitto(_Proc):
    """Our own Mosquitto on a fixed port, with persistence saved at every change.

    ``autosave_on_changes`` + ``autosave_interval 1`` writes the database after each
    subscription change or queued message, so a SIGKILL loses as little as a broker can:
    persistent sessions (the cloud's) and their queued messages survive.
    """

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            pytest.fail("mosquitto is not installed (/usr/sbin/mosquitto)")
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir / "mosquitto.log")
        self.binary, self.port = binary, free_port()
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {workdir}/\n"
            "autosave_interval 1\nautosave_on_changes true\n"
            "max_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay true\n"
            "user root\nlog_dest stdout\nlog_type error\nlog_type warning\n"
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._spawn([self.binary, "-c", str(self.conf)])
        await wait_port(self.port)


def agent_toml(
    path: Path,
    *,
    device_id: str,
    broker_url: str,
    printer_port: int,
    site: str = "qh/hx/golmud/hhl",
    status_timeout_s: float = 5.0,
) -> Path:
    """An agent config with one network receipt printer (the simulator on ``printer_port``).

    The status timeout is 5 s, not the driver's 1 s default: the simulator answers from the
    test's own event loop, which a burst of concurrent requests can keep busy for over a
    second on two loaded cores (a CI run failed a job as "printer silent" that way)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'device_id = "{device_id}"\nrole = "kiosk"\nsite = "{site}"\n'
        f'data_dir = "{path.parent / "data"}"\nhealth_interval_s = 3600\ntele_interval_s = 3600\n'
        f'[mqtt]\nurl = "{broker_url}"\nreconnect_min_s = 0.05\nreconnect_max_s = 0.5\n'
        '[[peripherals]]\ntype = "escpos_network"\nid = "receipt"\nhost = "127.0.0.1"\n'
        f"port = {printer_port}\ntimeout_s = 3\nstatus_timeout_s = {status_timeout_s}\n",
        encoding="utf-8",
    )
    return path


class AgentProcess(_Proc):
    """``python -m kfleet agent run --config …`` as a real process."""

    def __init__(self, config: Path) -> None:
        super().__init__(config.parent / "agent.log")
        self.config = config

    def start(self) -> None:
        argv = [sys.executable, "-m", "kfleet", "agent", "run", "--config", str(self.config)]
        self._spawn(argv)


class CloudProcess(_Proc):
    """``python -m kfleet cloud run`` (sites seeded once) on the test's database: it inherits
    ``KFLEET_DATABASE_URL`` (the fault suite's ``cloud_db`` fixture sets it; unset: SQLite in
    ``data_dir``)."""

    def __init__(self, data_dir: Path, broker_url: str, **settings: Any) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(data_dir / "cloud.log")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "KFLEET_DATA_DIR": str(data_dir),
            "KFLEET_MQTT_URL": broker_url,
            "KFLEET_SECRET_KEY": "fault-tests-secret-0123456789abcdef",
            "KFLEET_HOST": "127.0.0.1",
            "KFLEET_PORT": str(self.port),
            "KFLEET_LOG_LEVEL": "warning",
            **{f"KFLEET_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self._seeded = False
        self.database_url = self.env.get("KFLEET_DATABASE_URL") or (
            f"sqlite+aiosqlite:///{data_dir / 'kfleet.db'}"
        )
        #: an administrator's API token, made with the sites (see :attr:`headers`)
        self.token = ""

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization`` for an HTTP client of this cloud."""
        return bearer(self.token)

    async def start(self) -> None:
        """Start it and wait until its API answers and its bus is connected."""
        if not self._seeded:
            seed = [sys.executable, "-m", "kfleet", "cloud", "seed-pilot"]
            done = await asyncio.to_thread(
                subprocess.run, seed, env=self.env, capture_output=True, timeout=120
            )
            assert done.returncode == 0, done.stderr.decode(errors="replace")
            self.token = await token_for_database(self.database_url)
            self._seeded = True
        self._spawn([sys.executable, "-m", "kfleet", "cloud", "run"], self.env)

        async def healthy() -> bool | None:
            assert self.running(), f"the cloud exited:\n{tail(self.log)}"
            try:
                async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
                    r = await client.get("/healthz")
            except httpx.TransportError:
                return None
            return True if r.status_code == 200 and r.json()["mqtt"] else None

        await eventually(healthy, START_TIMEOUT_S, "the cloud to come up")


@asynccontextmanager
async def running_agent(config: Path) -> AsyncIterator[Agent]:
    """An agent in this process (cheaper than a process where no kill is needed)."""
    agent = Agent(load_config(config))
    task = asyncio.create_task(agent.run())
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            await agent.wait_connected()
        yield agent
    finally:
        await agent.stop()
        await task
