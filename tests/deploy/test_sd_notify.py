"""``kfleet cloud run`` under systemd's ``Type=notify`` + ``WatchdogSec``
(deploy/systemd/kfleet-cloud.service): the real process tells a notify socket it is ready once
it serves, feeds the watchdog from its loop, and says it is stopping on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cloud.sd_notify import notify, watchdog_period_s
from kfleet.world.net import free_port, refusing_port


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(90)  # the cloud migrates a fresh SQLite database before it is ready
    yield sock
    sock.close()


def next_message(sock: socket.socket) -> dict[str, str]:
    data = sock.recv(4096).decode()
    return dict(line.split("=", 1) for line in data.splitlines())


def test_the_cloud_notifies_ready_watchdog_and_stopping(
    tmp_path: Path, notify_socket: socket.socket
) -> None:
    port = free_port()
    with refusing_port() as broker_port:
        env = {
            **os.environ,
            "NOTIFY_SOCKET": notify_socket.getsockname(),
            "WATCHDOG_USEC": "400000",  # fed every 0.2 s
            "KFLEET_DATA_DIR": str(tmp_path / "cloud"),
            "KFLEET_MQTT_URL": f"mqtt://127.0.0.1:{broker_port}",  # no broker: still serves
            "KFLEET_SECRET_KEY": "sd-notify-test-secret-0123456789abcdef",
            "KFLEET_HOST": "127.0.0.1",
            "KFLEET_PORT": str(port),
            "KFLEET_LOG_LEVEL": "warning",
        }
        env.pop("WATCHDOG_PID", None)
        log = (tmp_path / "cloud.log").open("wb")
        cloud = subprocess.Popen(
            [sys.executable, "-m", "kfleet", "cloud", "run"], env=env, stdout=log, stderr=log
        )
        try:
            ready = next_message(notify_socket)
            assert ready["READY"] == "1" and ready["MAINPID"] == str(cloud.pid), ready
            # ready means serving: the API answers now, without waiting
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            fed = [next_message(notify_socket) for _ in range(3)]
            assert all(m == {"WATCHDOG": "1"} for m in fed), fed
            cloud.send_signal(signal.SIGTERM)
            while (message := next_message(notify_socket)).get("WATCHDOG") == "1":
                pass
            assert message.get("STOPPING") == "1", message
            # uvicorn re-raises the SIGTERM after its shutdown: systemd counts it as clean
            assert cloud.wait(timeout=60) in (0, -signal.SIGTERM)
        finally:
            if cloud.poll() is None:
                cloud.kill()
                cloud.wait()
            log.close()


def test_without_systemd_nothing_is_sent_and_nothing_breaks(tmp_path: Path) -> None:
    assert notify("READY=1", env={}) is False
    # a socket that is gone is logged, not raised: the service keeps serving
    assert notify("WATCHDOG=1", env={"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}) is False


def test_the_watchdog_period_is_half_of_watchdogsec_and_only_for_this_process() -> None:
    assert watchdog_period_s({}) is None
    assert watchdog_period_s({"WATCHDOG_USEC": "60000000"}) == 30.0
    assert watchdog_period_s({"WATCHDOG_USEC": "0"}) is None
    mine = {"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_period_s(mine) == 30.0
    assert watchdog_period_s({**mine, "WATCHDOG_PID": str(os.getpid() + 1)}) is None
