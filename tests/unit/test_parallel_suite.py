"""The suite's own machinery: the parallel test command CI runs is the README's, each xdist
worker gets its own Mosquitto, and a test's teardown stays under the time limit after a
failure too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import conftest

ROOT = Path(__file__).resolve().parents[2]


def readme_test_command() -> str:
    """The command in the README's "Run the tests" section (the second ``sh`` block there)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Run the tests") :]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, flags=re.S)
    return str(blocks[1]).strip()


def test_ci_runs_the_readme_test_command_in_parallel() -> None:
    command = readme_test_command()
    assert command.startswith("python -m pytest") and "-n auto" in command, command
    assert "--dist loadfile" in command, command  # one file, one worker: fuzz runs never overlap
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci, f"the last step of .ci/run is not the README's {command!r}"


def test_only_a_one_process_run_shares_the_configured_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KFLEET_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert conftest.shared_mqtt_url() == "mqtt://127.0.0.1:1883"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")  # a worker: its own broker
    assert conftest.xdist_worker() == "gw1"
    assert conftest.shared_mqtt_url() is None
    monkeypatch.delenv("KFLEET_TEST_MQTT_URL")
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert conftest.shared_mqtt_url() is None


HANGING = """
import time

import pytest


@pytest.fixture
def hangs_in_teardown():
    yield
    time.sleep(600)  # a teardown that never ends, as a cloud stuck on its broker did


def test_fails(hangs_in_teardown):
    assert False, "the failure that used to switch the time limit off"
"""


def test_a_teardown_hanging_after_a_failure_is_still_cut_off(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\ntimeout = 2\n")
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_exception_interact  # noqa: F401\n"
    )
    (tmp_path / "test_hang.py").write_text(HANGING)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(ROOT)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    took = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Timeout (>2.0s)" in done.stdout, done.stdout
    assert "1 failed" in done.stdout and took < 60, (took, done.stdout)
