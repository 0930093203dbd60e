"""``kfleet demo --tsdb URL`` hands the URL to the cloud's ``tsdb_url``; one the cloud cannot
use stops the demo with one sentence (exit 2) before anything starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kfleet.errors import UsageError
from kfleet.world.demo import DemoOptions, _settings
from kfleet.world.demo_broker import broker_plan


def test_the_demo_passes_its_tsdb_url_to_the_cloud(tmp_path: Path) -> None:
    plan = broker_plan("mqtt://127.0.0.1:1883")
    url = "victoriametrics+http://127.0.0.1:8428"
    assert _settings(DemoOptions(data_dir=tmp_path, tsdb_url=url), plan, 8080).tsdb_url == url
    assert _settings(DemoOptions(data_dir=tmp_path), plan, 8080).tsdb_url == ""  # SQL default


def test_a_tsdb_url_the_cloud_cannot_use_is_one_sentence(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kfleet",
            "demo",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--tsdb",
            "carrierpigeon://loft:1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == UsageError.exit_code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "'carrierpigeon'" in lines[0], result.stderr
