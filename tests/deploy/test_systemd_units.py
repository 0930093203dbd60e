"""deploy/systemd/: the units are valid for systemd (``systemd-analyze verify`` against a
private root that holds the units, Debian's own system units and stand-ins at the install
paths), hardened as docs/deploy.md promises, and the simulator template names real commands."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import typer.main

from simulators.cli import app as sim_app
from tests.conftest import require_or_skip

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
SERVICES = sorted(p.name for p in UNITS.glob("*.service"))
#: what the units run, installed by docs/deploy.md's steps
INSTALLED = ("/opt/kfleet/venv/bin/kfleet", "/opt/kfleet/venv/bin/kfleet-agent-launch")
#: the simulator instances docs/deploy.md suggests for a hall
HALL_SIMULATORS = ("printer", "city-queue", "haocha")


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit's sections, each key with every value it is given (systemd keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    section = ""
    for raw in (UNITS / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            sections.setdefault(section, {})
            continue
        key, _, value = line.partition("=")
        sections[section].setdefault(key, []).append(value)
    return sections


def systemd_root(tmp: Path) -> Path:
    """A root for ``systemd-analyze --root``: our units, the host's units, the binaries."""
    analyze = shutil.which("systemd-analyze")
    host_units = Path("/usr/lib/systemd/system")
    if analyze is None or not host_units.is_dir():
        require_or_skip("systemd-analyze and Debian's system units (apt-get install systemd)")
    root = tmp / "root"
    shutil.copytree(host_units, root / "usr/lib/systemd/system", symlinks=True)
    target = root / "etc/systemd/system"
    target.mkdir(parents=True)
    for name in SERVICES:
        shutil.copy(UNITS / name, target / name)
    for binary in INSTALLED:
        path = root / binary.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    return root


@pytest.mark.parametrize(
    "name",
    [*(n for n in SERVICES if "@" not in n), *(f"kfleet-sim@{s}.service" for s in HALL_SIMULATORS)],
)
def test_systemd_analyze_verify_finds_nothing(tmp_path: Path, name: str) -> None:
    root = systemd_root(tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "--generators=no", f"--root={root}", name],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # unknown keys and bad values are only warnings (exit 0): any output is a finding
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), (
        done.stdout + done.stderr
    )


@pytest.mark.parametrize("name", SERVICES)
def test_every_unit_is_hardened_and_restarts(name: str) -> None:
    service = unit(name)["Service"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["NoNewPrivileges"] == ["yes"]
    assert service["CapabilityBoundingSet"] == [""]
    assert service["PrivateTmp"] == ["yes"]
    assert service["ProtectHome"] == ["yes"]
    assert service["SystemCallFilter"] == ["@system-service"]
    assert service["Restart"][0] in ("on-failure", "always")
    assert "User" in service or service.get("DynamicUser") == ["yes"], "never root"
    assert "root" not in service.get("User", [])
    # what it may write is its own state directory, named in ReadWritePaths
    state = service["StateDirectory"][0]
    assert service["ReadWritePaths"] == [f"/var/lib/{state}"]
    assert service["WorkingDirectory"] == [f"/var/lib/{state}"]


def test_the_cloud_is_ready_when_it_says_so_and_fed_by_its_loop() -> None:
    service = unit("kfleet-cloud.service")["Service"]
    assert service["Type"] == ["notify"] and service["NotifyAccess"] == ["main"]
    assert service["WatchdogSec"] == ["60s"]
    assert service["ExecStart"] == ["/opt/kfleet/venv/bin/kfleet cloud run"]
    assert service["DynamicUser"] == ["yes"] and service["PrivateDevices"] == ["yes"]
    assert service["Environment"].count("KFLEET_DATA_DIR=/var/lib/kfleet-cloud") == 1
    assert service["EnvironmentFile"] == ["/etc/kfleet/cloud.env"]


def test_the_agent_runs_through_its_launcher_with_its_devices() -> None:
    service = unit("kfleet-agent.service")["Service"]
    assert service["ExecStart"][0].startswith("/opt/kfleet/venv/bin/kfleet-agent-launch ")
    assert service["User"] == ["kfleet-agent"]
    groups = set(service["SupplementaryGroups"][0].split())
    assert {"dialout", "video", "lp"} <= groups
    assert "PrivateDevices" not in service, "the peripherals are devices"
    sysusers = (UNITS / "kfleet-sysusers.conf").read_text().splitlines()
    assert any(line.startswith("u kfleet-agent ") for line in sysusers)
    assert {g for g in groups if f"m kfleet-agent {g}" in sysusers} == groups


def test_the_simulator_template_names_real_commands() -> None:
    commands = set(typer.main.get_command(sim_app).commands)  # type: ignore[attr-defined]
    assert set(HALL_SIMULATORS) <= commands, commands
    exec_start = unit("kfleet-sim@.service")["Service"]["ExecStart"]
    assert exec_start == ["/opt/kfleet/venv/bin/kfleet sim %i $KFLEET_SIM_ARGS"]


def test_sysusers_file_makes_the_agent_user(tmp_path: Path) -> None:
    if shutil.which("systemd-sysusers") is None:
        require_or_skip("systemd-sysusers (apt-get install systemd)")
    (tmp_path / "etc").mkdir()
    done = subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", str(UNITS / "kfleet-sysusers.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    passwd = (tmp_path / "etc/passwd").read_text()
    group = (tmp_path / "etc/group").read_text()
    assert any(line.startswith("kfleet-agent:") for line in passwd.splitlines()), passwd
    dialout = next(line for line in group.splitlines() if line.startswith("dialout:"))
    assert "kfleet-agent" in dialout.split(":")[3].split(",")
