"""CLI misuse ends in one sentence on stderr and a documented exit code, within seconds.

Each case used to print a traceback (or, for an unreachable broker, a minute of warnings and
then a bare ``TimeoutError``). ``kfleet`` runs as a user runs it: a separate process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kfleet.errors import BrokerUnreachable, DataDirUnusable, PortUnavailable, UsageError

#: the broker check waits at most 5 s and everything else is immediate: a command still
#: running after this long hangs (a hang guard, not a speed test: start-up time on a loaded
#: machine is no finding)
HANG_S = 90


def kfleet(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kfleet", *args],
        capture_output=True,
        text=True,
        timeout=HANG_S,
        env=env,
    )


def assert_one_sentence(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port where nothing listens (nobody is listening while the test runs)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    yield port


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_demo_refuses_a_port_that_is_no_port(tmp_path: Path, port: str) -> None:
    result = kfleet("demo", "--port", port, "--data-dir", str(tmp_path))
    assert_one_sentence(result, UsageError.exit_code, f"--port {port}", "0 for any free port")


def test_demo_refuses_a_broker_url_that_is_not_mqtt(tmp_path: Path) -> None:
    result = kfleet("demo", "--broker", "http://x", "--data-dir", str(tmp_path))
    assert_one_sentence(result, UsageError.exit_code, "--broker", "mqtt://")


def test_demo_refuses_a_host_that_is_not_this_machine(tmp_path: Path) -> None:
    result = kfleet("demo", "--host", "192.0.2.1", "--port", "0", "--data-dir", str(tmp_path))
    assert_one_sentence(result, UsageError.exit_code, "--host 192.0.2.1")


@pytest.mark.parametrize("where", ["/proc/foo", "a-file"])
def test_demo_refuses_a_data_dir_it_cannot_use(tmp_path: Path, where: str) -> None:
    data_dir = tmp_path / where
    if where == "a-file":
        data_dir.write_text("not a directory")
    result = kfleet("demo", "--port", "0", "--data-dir", str(data_dir))
    assert_one_sentence(result, DataDirUnusable.exit_code, str(data_dir), "--data-dir")


def test_demo_refuses_an_unreachable_broker_at_once(tmp_path: Path, closed_port: int) -> None:
    url = f"mqtt://127.0.0.1:{closed_port}"
    result = kfleet("demo", "--broker", url, "--port", "0", "--data-dir", str(tmp_path))
    assert_one_sentence(result, BrokerUnreachable.exit_code, url, "--broker")


def test_demo_refuses_a_busy_port(tmp_path: Path, busy_port: int) -> None:
    result = kfleet("demo", "--port", str(busy_port), "--data-dir", str(tmp_path))
    assert_one_sentence(result, PortUnavailable.exit_code, str(busy_port), "--port")


def _cloud_env(tmp_path: Path, **more: str) -> dict[str, str]:
    import os

    return {**os.environ, "KFLEET_DATA_DIR": str(tmp_path / "cloud"), **more}


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_cloud_run_refuses_a_port_that_is_no_port(tmp_path: Path, port: str) -> None:
    result = kfleet("cloud", "run", "--demo", "--port", port, env=_cloud_env(tmp_path))
    assert_one_sentence(result, 2, "KFLEET_PORT")


def test_cloud_run_refuses_a_broker_url_that_is_not_mqtt(tmp_path: Path) -> None:
    env = _cloud_env(tmp_path, KFLEET_MQTT_URL="http://x")
    result = kfleet("cloud", "run", "--demo", "--port", "0", env=env)
    assert_one_sentence(result, 2, "KFLEET_MQTT_URL", "mqtt://")


def test_cloud_run_refuses_a_data_dir_it_cannot_use(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    env = _cloud_env(tmp_path, KFLEET_DATA_DIR=str(tmp_path / "a-file"))
    result = kfleet("cloud", "run", "--demo", "--port", "0", env=env)
    assert_one_sentence(result, 2, "KFLEET_DATA_DIR", str(tmp_path / "a-file"))


def test_cloud_run_refuses_a_busy_port_before_starting(tmp_path: Path, busy_port: int) -> None:
    result = kfleet("cloud", "run", "--demo", "--port", str(busy_port), env=_cloud_env(tmp_path))
    assert_one_sentence(result, 3, str(busy_port), "--port")


def test_cloud_run_refuses_a_host_that_is_not_this_machine(tmp_path: Path) -> None:
    result = kfleet("cloud", "run", "--demo", "--host", "192.0.2.1", env=_cloud_env(tmp_path))
    assert_one_sentence(result, 2, "192.0.2.1")


def _agent_config(tmp_path: Path, **keys: str) -> Path:
    example = kfleet("agent", "example-config").stdout
    lines = []
    for line in example.splitlines():
        key = line.split("=", 1)[0].strip()
        lines.append(f"{key} = {keys[key]}" if key in keys and "=" in line else line)
    path = tmp_path / "agent.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_agent_run_refuses_a_broker_url_that_is_not_mqtt(tmp_path: Path) -> None:
    config = _agent_config(tmp_path, url='"http://x"', data_dir=f'"{tmp_path / "agent"}"')
    result = kfleet("agent", "run", "-c", str(config))
    assert_one_sentence(result, 2, "mqtt.url", "mqtt://")


def test_agent_run_refuses_a_data_dir_it_cannot_use(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    config = _agent_config(tmp_path, data_dir=f'"{tmp_path / "a-file" / "agent"}"')
    result = kfleet("agent", "run", "-c", str(config))
    assert_one_sentence(result, 2, "data_dir", str(tmp_path / "a-file"))


def test_sim_fleet_refuses_a_broker_url_that_is_not_mqtt(tmp_path: Path) -> None:
    result = kfleet("sim", "fleet", "--broker", "http://x", "--data-dir", str(tmp_path))
    assert_one_sentence(result, UsageError.exit_code, "--broker", "mqtt://")
    assert "embedded" not in result.stderr  # sim fleet has no broker of its own to offer


def test_sim_fleet_refuses_an_unreachable_broker_at_once(tmp_path: Path, closed_port: int) -> None:
    url = f"mqtt://127.0.0.1:{closed_port}"
    result = kfleet("sim", "fleet", "--broker", url, "--agents", "1", "--data-dir", str(tmp_path))
    assert_one_sentence(result, BrokerUnreachable.exit_code, url)
