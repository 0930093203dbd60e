"""The agent's footprint (issue 17): resident memory and idle CPU of one kiosk agent process
with every driver loaded. Targets: RSS ≤ 120 MB, idle CPU ≤ 1 % of one core.

One agent process (``python -m benchmarks.agent_footprint --agent CONFIG``: the real CLI's
agent, plus the synthetic camera sources registered, as ``kfleet demo`` does) with a
peripheral of every driver: ESC/POS over the network (the printer simulator) and to a device
file, the GA 467 ID-card reader, the call button and the rating pad (pty simulators), the
document camera and the camera + microphone (synthetic sources), an A4 spool and an IPP
printer (pointed at a port nobody listens on: the driver and pyipp are loaded, the printer is
reported offline). The kiosk's local screen server runs; health probes and telemetry run at
the defaults a site uses (30 s). Mosquitto is the broker; no cloud is needed.

After the agent's birth and a warm-up, the benchmark reads the agent's ``/proc/<pid>/stat``
(user + system time) and ``status`` (VmRSS, each second; VmHWM, the peak since start) over the
measured window. It also measures ``kfleet-agent-launch`` idle beside it (the supervisor a
device runs too). The machine is shared: the load average is printed with the figures.

    python -m benchmarks.agent_footprint [--seconds 120] [--warmup 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiomqtt

from benchmarks._servers import start_mosquitto
from kfleet.world.net import free_port
from simulators.call_button import CallButtonSim
from simulators.escpos_printer import EscPosPrinterSim
from simulators.idcard_reader import IdCardReaderSim
from simulators.rating_pad import RatingPadSim

DEVICE = "kiosk-footprint"
TICK = os.sysconf("SC_CLK_TCK")


def agent_toml(
    tmp: Path, broker: str, printer: int, ports: dict[str, str], *, cameras: bool = True
) -> Path:
    """A kiosk with a peripheral of every driver (``cameras``: the two cameras too)."""
    (tmp / "a4").mkdir(exist_ok=True)
    peripherals: list[dict[str, object]] = [
        {"type": "escpos_network", "id": "receipt", "host": "127.0.0.1", "port": printer},
        {
            "type": "escpos_file",
            "id": "receipt2",
            "path": str(tmp / "lp0"),
            "status": "best_effort",
        },
        {"type": "idcard_ga467", "id": "idcard", "port": ports["idcard"]},
        {"type": "call_button_serial", "id": "callbtn", "port": ports["button"]},
        {"type": "rating_pad_serial", "id": "rating", "port": ports["rating"]},
        {"type": "doc_camera_uvc", "id": "doccam", "device": "synthetic:plain_desk?size=960x540"},
        {"type": "av_camera", "id": "camera", "device": "synthetic:kiosk"},
        {"type": "a4_spool", "id": "a4", "directory": str(tmp / "a4")},
        {"type": "ipp", "id": "a4ipp", "uri": f"ipp://127.0.0.1:{free_port()}/ipp/print"},
    ]
    if not cameras:
        peripherals = [p for p in peripherals if p["id"] not in ("doccam", "camera")]
    lines = [
        f'device_id = "{DEVICE}"\nrole = "kiosk"\nsite = "qh/hx/golmud/hhl"',
        f'data_dir = "{tmp / "data"}"\nhealth_interval_s = 30\ntele_interval_s = 30',
        f'[mqtt]\nurl = "{broker}"',
        f"[screen]\nenabled = true\nport = {free_port()}",
    ]
    for p in peripherals:
        body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in p.items())
        lines.append(f"[[peripherals]]\n{body}")
    path = tmp / "agent.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_agent(config: str) -> None:
    """The child: the CLI's agent, with the synthetic camera sources registered when the
    config names one (registering imports the camera drivers and simulators, OpenCV and NumPy
    with them, which a device without cameras never loads)."""
    from edge_agent.cli import app

    if "synthetic:" in Path(config).read_text(encoding="utf-8"):
        from kfleet.world.world import register_synthetic_sources

        register_synthetic_sources()
    app(["run", "--config", config, "--log-level", "warning"])


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


async def wait_birth(broker_port: int) -> dict[str, object]:
    async with aiomqtt.Client("127.0.0.1", broker_port) as client:
        await client.subscribe(f"kf/v1/dev/{DEVICE}/birth", qos=1)
        async for message in client.messages:
            body: dict[str, object] = json.loads(bytes(message.payload))["body"]
            return body
    raise RuntimeError("the broker closed the connection")


async def measure(pid: int, seconds: float) -> dict[str, float]:
    """CPU % of one core and RSS (MB) of ``pid`` over ``seconds``."""
    t0, c0, rss = time.monotonic(), cpu_s(pid), []
    while time.monotonic() - t0 < seconds:
        rss.append(status_kb(pid, "VmRSS"))
        await asyncio.sleep(1.0)  # one RSS sample a second
    wall, cpu = time.monotonic() - t0, cpu_s(pid) - c0
    return {
        "cpu_pct": 100 * cpu / wall,
        "cpu_ms_per_s": 1000 * cpu / wall,
        "rss_mb_mean": sum(rss) / len(rss) / 1024,
        "rss_mb_max": max(rss) / 1024,
        "hwm_mb": status_kb(pid, "VmHWM") / 1024,
        "threads": status_kb(pid, "Threads"),
    }


def launcher_idle(tmp: Path, seconds: float) -> dict[str, float]:
    """``kfleet-agent-launch`` supervising a release that only sleeps: its own footprint."""
    home = tmp / "launch" / "data" / "releases" / "9.9.9"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "idle.py").write_text("import time\ntime.sleep(3600)\n")
    manifest = {"version": "9.9.9", "protocol": 1, "entry": ["bin/idle.py"]}
    (home / "kfleet-release.json").write_text(json.dumps(manifest))
    (home.parent / "current").symlink_to("9.9.9")
    config = tmp / "launch" / "agent.toml"
    config.write_text('data_dir = "data"\n')
    argv = [sys.executable, "-m", "edge_agent.upgrade.launcher", "--config", str(config)]
    proc = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # imports done
        return asyncio.run(measure(proc.pid, seconds))
    finally:
        proc.terminate()
        proc.wait(15)


async def bench(tmp: Path, seconds: float, warmup: float, cameras: bool) -> dict[str, object]:
    mosquitto, broker = start_mosquitto(tmp)
    idcard, button, rating = IdCardReaderSim(), CallButtonSim(), RatingPadSim()
    try:
        async with EscPosPrinterSim(out_dir=tmp / "receipts") as printer:
            for sim in (idcard, button, rating):
                await sim.start()
            ports = {
                "idcard": idcard.port_path,
                "button": button.port_path,
                "rating": rating.port_path,
            }
            config = agent_toml(tmp, broker, printer.port, ports, cameras=cameras)
            argv = [sys.executable, "-m", "benchmarks.agent_footprint", "--agent", str(config)]
            agent = subprocess.Popen(argv)  # noqa: ASYNC220 (started once, not awaited)
            try:
                birth = await asyncio.wait_for(wait_birth(int(broker.rsplit(":", 1)[1])), 120)
                await asyncio.sleep(warmup)  # start-up work (imports, first probes) settles
                figures = await measure(agent.pid, seconds)
            finally:
                agent.terminate()
                agent.wait(30)
            peripherals = birth["peripherals"]
            assert isinstance(peripherals, list)
            health = {p["id"]: p["health"] for p in peripherals}
            return {"agent": figures, "health": health}
    finally:
        for sim in (idcard, button, rating):
            await sim.stop()
        mosquitto.terminate()
        mosquitto.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=20.0, help="after the birth")
    parser.add_argument("--agent", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.agent:
        run_agent(args.agent)
        return
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kf-footprint-") as tmp:
        for name in ("all", "lean"):
            (Path(tmp) / name).mkdir()
        full = asyncio.run(bench(Path(tmp) / "all", args.seconds, args.warmup, True))
        lean = asyncio.run(bench(Path(tmp) / "lean", args.seconds, args.warmup, False))
        launcher = launcher_idle(Path(tmp), min(args.seconds, 30.0))
    print(
        f"agent footprint, {args.seconds:g} s idle after {args.warmup:g} s warm-up, "
        f"{os.cpu_count()} cores SHARED with other work (load average before "
        f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f})"
    )
    print(f"peripherals at birth: {full['health']}")
    header = ("process", "CPU % core", "CPU ms/s", "RSS MB", "RSS max", "peak", "threads")
    print("{:<34}{:>11}{:>10}{:>9}{:>9}{:>8}{:>9}".format(*header))
    rows = (
        ("agent, every driver", full["agent"]),
        ("agent, every driver but cameras", lean["agent"]),
        ("kfleet-agent-launch", launcher),
    )
    for name, f in rows:
        assert isinstance(f, dict)
        print(
            f"{name:<34}{f['cpu_pct']:>11.2f}{f['cpu_ms_per_s']:>10.2f}{f['rss_mb_mean']:>9.1f}"
            f"{f['rss_mb_max']:>9.1f}{f['hwm_mb']:>8.1f}{f['threads']:>9.0f}"
        )
    print("targets: agent RSS <= 120 MB, idle CPU <= 1 % of one core")


if __name__ == "__main__":
    main()
