"""The agent's memory (issue 17): a device with no camera, no scan and no IPP printer never
loads OpenCV, NumPy, pyipp or aiohttp (about 35 MB of its 120 MB budget), and an idle kiosk
does not load jsonschema_rs (~4 MB, the e-form checks) or Pillow (~3 MB, a copy's watermark and
a proof's drawing); started as devices start it, it never loads httpx's command line (rich,
pygments: ~4.5 MB).

They are imported where a copy, a blank-page check, a receipt proof, an IPP printer or the
first form a citizen fills needs them, never with the agent's modules. An eager import
anywhere on the start path (a module level ``import cv2`` in a job handler, a kiosk route, a
driver the registry loads) brings them back silently; this test names the one that did. It
runs in a fresh interpreter: the test process itself has imported all of them long ago.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kfleet.world.net import free_port

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("cv2", "numpy", "pyipp", "aiohttp", "jsonschema_rs", "PIL")

#: a kiosk agent started (peripherals built and probed, its screen serving), then stopped;
#: prints which of the heavy modules are loaded, as JSON
START_AND_REPORT = """
import asyncio, json, sys
from pathlib import Path
from edge_agent.agent import Agent
from edge_agent.config import parse_config

async def main(raw: dict) -> None:
    agent = Agent(parse_config(raw, source="test"))
    run = asyncio.create_task(agent.run())
    # settled: the peripherals are probed and the screen's app is made (unless its port was
    # taken by then, which costs this check the screen's routes and nothing else)
    await agent.screen.settled.wait()
    started = "receipt" in agent.health
    await agent.stop()
    await run
    print(json.dumps({"started": started, "loaded": [m for m in sys.argv[2:] if m in sys.modules]}))

asyncio.run(main(json.loads(sys.argv[1])))
"""


def kiosk_without_cameras(tmp: Path) -> dict[str, object]:
    """A kiosk with a receipt printer (nobody listening), a spool A4 printer, the serial
    peripherals (unplugged) and its screen: every driver but the cameras and IPP."""
    return {
        "device_id": "kiosk-lean",
        "role": "kiosk",
        "site": "qh/hx/golmud/hhl",
        "data_dir": str(tmp / "data"),
        "mqtt": {"url": f"mqtt://127.0.0.1:{free_port()}"},
        "screen": {"enabled": True, "host": "127.0.0.1", "port": free_port()},
        "peripherals": [
            {"type": "escpos_network", "id": "receipt", "host": "127.0.0.1", "port": free_port()},
            {"type": "idcard_ga467", "id": "idcard", "port": str(tmp / "ttyIdcard")},
            {"type": "call_button_serial", "id": "button", "port": str(tmp / "ttyButton")},
            {"type": "rating_pad_serial", "id": "rating", "port": str(tmp / "ttyRating")},
            {"type": "a4_spool", "id": "a4", "directory": str(tmp)},
        ],
    }


def test_an_agent_without_cameras_scans_or_ipp_loads_no_opencv_numpy_or_pyipp(
    tmp_path: Path,
) -> None:
    argv = [sys.executable, "-c", START_AND_REPORT, json.dumps(kiosk_without_cameras(tmp_path))]
    done = subprocess.run(
        [*argv, *HEAVY], cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["started"], done.stderr[-3000:]
    assert report["loaded"] == [], (
        f"{report['loaded']} imported by an agent that has no use for them: find the eager "
        "import with `python -X importtime` and move it to the call site"
    )


def test_the_agent_started_as_devices_start_it_skips_httpx_cli_and_dnspython() -> None:
    """``python -m edge_agent`` (``kfleet-agent-launch``) imports the agent with httpx, whose
    package would import its command line, and rich and pygments with it, and with paho, which
    would import dnspython for SRV lookups."""
    probe = (
        "import sys, edge_agent.__main__, httpx; "
        "print([m for m in ('rich', 'pygments', 'click', 'dns') if sys.modules.get(m)])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # click stays: Typer, the agent's own command line, is built on it
    assert done.stdout.strip() == "['click']", done.stdout
