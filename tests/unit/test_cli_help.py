"""Every ``kfleet`` command answers ``--help`` (a technician's first step on a new machine)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from kfleet.cli import app

COMMANDS = [
    [],
    ["cloud"],
    ["cloud", "run"],
    ["cloud", "migrate"],
    ["cloud", "seed-pilot"],
    ["agent"],
    ["agent", "run"],
    ["agent", "check-config"],
    ["agent", "example-config"],
    ["sim"],
    ["sim", "printer"],
    ["sim", "fleet"],
    ["demo"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "kfleet")
def test_help(args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_entry_point_runs_as_module() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kfleet", "--help"], capture_output=True, text=True, check=True
    )
    for sub in ("cloud", "agent", "sim", "demo"):
        assert sub in out.stdout


def test_demo_refuses_a_busy_port_clearly(tmp_path: object) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "kfleet",
                "demo",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert str(port) in result.stderr + result.stdout
