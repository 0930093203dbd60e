"""``kfleet provision ca`` on bad input: each case says what, why and what to do, exits with its
own code, and leaves the files that were there untouched."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kfleet.cli import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["provision", "ca", *args])
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    code, out = _run("init", "--dir", str(tmp_path / "ca"), "--cn", "Hall CA")
    assert code == 0, out
    return tmp_path / "ca"


def test_init_and_issue_write_the_files(ca_dir: Path, tmp_path: Path) -> None:
    code, out = _run(
        "issue", "device", "--ca-dir", str(ca_dir), "--device-id", "k-1", "--out", str(tmp_path)
    )
    assert code == 0 and (tmp_path / "k-1.crt").exists(), out
    code, out = _run(
        "issue", "server", "--ca-dir", str(ca_dir), "--san", "b.local", "--out", str(tmp_path)
    )
    assert code == 0 and (tmp_path / "server.key").exists(), out


def test_existing_ca_is_refused(ca_dir: Path) -> None:
    before = (ca_dir / "ca.key").read_bytes()
    code, out = _run("init", "--dir", str(ca_dir))
    assert code == 4 and "already exists" in out and "--force" in out
    assert (ca_dir / "ca.key").read_bytes() == before


def test_missing_ca_dir(tmp_path: Path) -> None:
    code, out = _run("issue", "device", "--ca-dir", str(tmp_path / "nope"), "--device-id", "k-1")
    assert code == 3 and "does not exist" in out and "ca init" in out


def test_open_key_permissions_are_refused(ca_dir: Path, tmp_path: Path) -> None:
    (ca_dir / "ca.key").chmod(0o644)
    code, out = _run(
        "issue", "device", "--ca-dir", str(ca_dir), "--device-id", "k-1", "--out", str(tmp_path)
    )
    assert code == 5 and "chmod 600" in out
    assert not (tmp_path / "k-1.key").exists()


def test_garbage_key_is_refused(ca_dir: Path) -> None:
    (ca_dir / "ca.key").write_bytes(b"not a key")
    code, out = _run("issue", "device", "--ca-dir", str(ca_dir), "--device-id", "k-1")
    assert code == 5 and "not an unencrypted PEM private key" in out


@pytest.mark.parametrize("bad", ["Kiosk-1", "-k1", "k/1", "k" * 65, ""])
def test_bad_device_id(ca_dir: Path, tmp_path: Path, bad: str) -> None:
    code, out = _run(
        "issue", "device", "--ca-dir", str(ca_dir), "--device-id", bad, "--out", str(tmp_path)
    )
    assert code == 2 and "is not valid" in out
    assert list(tmp_path.glob("*.key")) == []


@pytest.mark.parametrize("bad", ["bro ker.local", "-x.local", "a..b", "300.1.1.1", "a_b.local"])
def test_bad_san(ca_dir: Path, bad: str) -> None:
    code, out = _run("issue", "server", "--ca-dir", str(ca_dir), "--san", bad)
    assert code == 2 and "neither an IP address nor a DNS name" in out


def test_read_only_directory(tmp_path: Path) -> None:
    """Root ignores mode bits, so as root the directory is a read-only bind mount in a private
    mount namespace (``unshare -m``); otherwise a mode-0555 directory."""
    ro = tmp_path / "ro"
    ro.mkdir()
    cli = [sys.executable, "-c", "from kfleet.cli import main; main()"]
    cli += ["provision", "ca", "init", "--dir", str(ro / "ca")]
    if os.geteuid() == 0:
        script = f"mount --bind -o ro {ro} {ro} && exec {shlex.join(cli)}"
        argv = ["unshare", "-m", "sh", "-c", script]
    else:
        ro.chmod(0o555)
        argv = cli
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    ro.chmod(0o755)
    err = " ".join(result.stderr.split())
    assert result.returncode == 6, err
    assert "cannot write to" in err and "writable" in err
    assert not (ro / "ca").exists()


def test_reissue_needs_force(ca_dir: Path, tmp_path: Path) -> None:
    args = (
        "issue",
        "device",
        "--ca-dir",
        str(ca_dir),
        "--device-id",
        "k-1",
        "--out",
        str(tmp_path),
    )
    assert _run(*args)[0] == 0
    before = (tmp_path / "k-1.key").read_bytes()
    code, out = _run(*args)
    assert code == 4 and "'k-1' already exists" in out
    assert (tmp_path / "k-1.key").read_bytes() == before
    assert _run(*args, "--force")[0] == 0
    assert (tmp_path / "k-1.key").read_bytes() != before
