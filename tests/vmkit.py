"""A real VictoriaMetrics for the tests: one per pytest-xdist worker (like Mosquitto in
``tests/conftest.py``), on a free port with its own storage directory, so workers never see
each other's series. Tests that stop the server start their own with :func:`running_vm`.

Flags: ``-dedup.minScrapeInterval=1ms`` (a retried write is idempotent, as the store's doc
recommends), ``-search.latencyOffset=0s`` and ``-search.disableCache`` (a query right after
a write sees it; production keeps VictoriaMetrics' 30 s default), ``-retentionPeriod=100y``
(replayed old points are accepted).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kfleet.world.net import free_port, wait_port

BINARY_PLACES = ("/usr/bin/victoria-metrics", "/usr/bin/victoria-metrics-prod")


def vm_binary() -> str:
    """The local VictoriaMetrics executable, or a skip (a failure in CI) without one."""
    from tests.conftest import require_or_skip

    found = shutil.which("victoria-metrics") or next(
        (p for p in BINARY_PLACES if Path(p).exists()), None
    )
    if not found:
        require_or_skip("VictoriaMetrics (apt-get install victoria-metrics)")
    return found


@dataclass
class VmServer:
    """One VictoriaMetrics process; ``stop()``/``start()`` keep the port and the data."""

    binary: str
    data: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """What ``KFLEET_TSDB_URL`` would say (plain bodies: loopback)."""
        return f"victoriametrics+{self.http}"

    def start(self) -> None:
        args = [
            self.binary,
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.data}",
            "-retentionPeriod=100y",
            "-dedup.minScrapeInterval=1ms",
            "-search.latencyOffset=0s",
            "-search.disableCache",
            "-loggerLevel=ERROR",
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        wait_port("127.0.0.1", self.port, timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def flush(self) -> None:
        """Make what was written searchable now (VictoriaMetrics buffers ~1 s otherwise)."""
        with urllib.request.urlopen(f"{self.http}/internal/force_flush", timeout=10) as r:
            r.read()


@contextlib.contextmanager
def running_vm() -> Iterator[VmServer]:
    """A private VictoriaMetrics for the duration of the block."""
    binary = vm_binary()
    tmp = Path(tempfile.mkdtemp(prefix="kf-vm-"))
    server = VmServer(binary=binary, data=tmp / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def victoriametrics() -> Iterator[VmServer]:
    """This worker's VictoriaMetrics (tests keep apart by unique device ids)."""
    with running_vm() as server:
        yield server
