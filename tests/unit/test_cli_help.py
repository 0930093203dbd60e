"""``kfleet ... --help`` is a technician's first step on a new machine: every command must say
what it does and name every option it takes (with a sentence each), every group its
sub-commands, and ``cloud run`` every setting it reads. The commands are walked from the
Typer app itself, so a new command or option is held to this without touching the test."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from cloud.settings import Settings
from kfleet.cli import app

#: the top-level sub-apps a technician is told about (docs/architecture.md, README)
SUB_APPS = {"cloud", "agent", "sim", "demo", "provision"}


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command under ``cmd`` (Typer's own click: duck-typed, it is vendored)."""
    yield path, cmd
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


def _help(args: tuple[str, ...]) -> str:
    """The help as a reader sees it, with the boxes and line wrapping taken out."""
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return " ".join(re.sub(r"[│─╭╮╰╯]", " ", result.output).split())


def _words(text: str) -> str:
    return " ".join(text.split())


def test_every_command_says_what_it_does_and_names_each_option() -> None:
    root = typer.main.get_command(app)
    walked = list(_commands(root))
    assert {path[0] for path, _ in walked if path} >= SUB_APPS
    for path, cmd in walked:
        shown = _help(path)
        where = "kfleet " + " ".join(path)
        usage = shown.split("Usage:", 1)[1].split("[OPTIONS]", 1)[0].split()
        assert usage[len(usage) - len(path) :] == list(path), (where, usage)
        summary = (cmd.help or "").strip().split("\n\n")[0]
        assert summary, f"{where} has no help text"
        assert _words(summary) in shown, (where, summary)
        for param in cmd.params:
            if param.param_type_name != "option" or param.hidden:
                continue
            assert max(param.opts, key=len) in shown, (where, param.opts)
            assert (param.help or "").strip(), f"{where} {param.opts} has no help sentence"
        for name, sub in getattr(cmd, "commands", {}).items():
            assert re.search(rf"\b{re.escape(name)}\b", shown), (where, name)
            assert _words(sub.get_short_help_str(limit=45)).rstrip(".")[:30] in shown


def test_cloud_run_help_names_every_setting_it_reads() -> None:
    shown = _help(("cloud", "run"))
    for name in Settings.model_fields:
        assert f"KFLEET_{name.upper()}=" in shown, name
    assert "docs/settings.md" in shown


def test_the_printer_simulators_faults_are_all_on_its_help() -> None:
    """The flags a CI script or a trainer turns faults on with (docs: simulators)."""
    shown = _help(("sim", "printer"))
    for flag in ("--paper-out", "--cover-open", "--near-end", "--silent", "--drop-mid-job"):
        assert flag in shown, flag
    assert "<n>.txt" in shown  # where the receipts go, which tests and people read


def test_entry_point_runs_as_module() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kfleet", "--help"], capture_output=True, text=True, check=True
    )
    for sub in SUB_APPS:
        assert sub in out.stdout


def test_demo_refuses_a_busy_port_clearly(tmp_path: Path) -> None:
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
