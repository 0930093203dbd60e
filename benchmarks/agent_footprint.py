"""The agent's footprint (issue 17): resident memory and idle CPU of one kiosk agent process
with every driver loaded. Targets: RSS ≤ 120 MB, idle CPU ≤ 1 % of one core.

One agent process started as the launcher starts it on a device (``python -m edge_agent run
--config CONFIG``: none of this benchmark's or the simulators' imports; with synthetic cameras
the simulator's sources are registered first, as ``kfleet demo`` does) with a
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

Then, with the cameras, one stream: ``stream_start`` over MQTT as the cloud sends it, to a
tiny aiortc WHIP endpoint in this process on loopback (``tests/agent/whip_kit.py``, which
decodes what it receives); the agent's camera, live reader, VP8 + Opus encoders and peer
connection are measured for ``--stream-seconds`` at 15 fps, then the stream is stopped.

    python -m benchmarks.agent_footprint [--seconds 120] [--warmup 20] [--stream-seconds 30]
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
from protocols.envelope import MsgType, Sender, decode, encode
from protocols.jobs import AckState
from protocols.messages import PeripheralCall
from simulators.call_button import CallButtonSim
from simulators.escpos_printer import EscPosPrinterSim
from simulators.idcard_reader import IdCardReaderSim
from simulators.rating_pad import RatingPadSim

DEVICE = "kiosk-footprint"
TICK = os.sysconf("SC_CLK_TCK")


def opencv_cameras(tmp: Path) -> dict[str, str]:
    """Two MJPEG files for ``cv2.VideoCapture`` to open as the cameras (no camera here): the
    frames are OpenCV's decoder's buffers, as a real camera's would be, and no simulator runs
    in the agent. 300 frames each: enough for the probes of a few minutes."""
    import cv2
    import numpy as np

    files = {}
    for name, (w, h) in (("doccam", (1920, 1080)), ("camera", (640, 480))):
        path = tmp / f"{name}.avi"
        out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30.0, (w, h))
        rng = np.random.default_rng(7)
        base = rng.integers(0, 255, (h // 8, w // 8, 3), np.uint8)
        for i in range(300):
            img = cv2.resize(np.roll(base, i, axis=1), (w, h), interpolation=cv2.INTER_CUBIC)
            out.write(img)
        out.release()
        files[name] = str(path)
    return files


def agent_toml(
    tmp: Path, broker: str, printer: int, ports: dict[str, str], *, cameras: str = "synthetic"
) -> Path:
    """A kiosk with a peripheral of every driver; ``cameras``: the two cameras as the
    simulator's synthetic sources, as OpenCV captures of two files, or ``none``."""
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
    if cameras == "none":
        peripherals = [p for p in peripherals if p["id"] not in ("doccam", "camera")]
    if cameras == "opencv":
        files = opencv_cameras(tmp)
        for p in peripherals:
            if p["id"] in files:
                p["device"] = files[str(p["id"])]
                p.update({"width": 1920, "height": 1080} if p["id"] == "doccam" else {})
    lines = [
        f'device_id = "{DEVICE}"\nrole = "kiosk"\nsite = "qh/hx/golmud/hhl"',
        f'data_dir = "{tmp / "data"}"\nhealth_interval_s = 30\ntele_interval_s = 30',
        f'[mqtt]\nurl = "{broker}"',
        f"[screen]\nenabled = true\nport = {free_port()}",
        '[av]\nice_host_addresses = ["127.0.0.1"]',  # the stream's media stays on loopback
    ]
    for p in peripherals:
        body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in p.items())
        lines.append(f"[[peripherals]]\n{body}")
    path = tmp / "agent.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


#: the synthetic cameras' child: the simulator's sources registered, then the agent's CLI (the
#: simulator's modules are in its figures, which a device never loads)
SYNTHETIC_AGENT = (
    "import sys\n"
    "from kfleet.world.world import register_synthetic_sources\n"
    "register_synthetic_sources()\n"
    "from edge_agent.cli import app\n"
    "app(sys.argv[1:], prog_name='kfleet-agent')\n"
)


def agent_argv(config: Path) -> list[str]:
    """The agent as deployed: ``python -m edge_agent run`` (what ``kfleet-agent-launch`` runs),
    not this module, whose imports (simulators, aiomqtt's client here, NumPy, SQLAlchemy) put
    20–33 MB into the figures that no device has. With synthetic cameras, the sources first."""
    run = ["run", "--config", str(config), "--log-level", "warning"]
    if "synthetic:" in config.read_text(encoding="utf-8"):
        return [sys.executable, "-c", SYNTHETIC_AGENT, *run]
    return [sys.executable, "-m", "edge_agent", *run]


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


async def camera_call(broker_port: int, action: str, **args: object) -> None:
    """One call to the agent's camera, as the cloud sends it; raises unless it succeeded."""
    async with aiomqtt.Client("127.0.0.1", broker_port) as client:
        await client.subscribe(f"kf/v1/dev/{DEVICE}/ack", qos=1)
        call = PeripheralCall(call_id=action, peripheral="camera", action=action, args=args)
        env = Sender("footprint-bench").envelope(MsgType.CMD, call)
        await client.publish(f"kf/v1/dev/{DEVICE}/cmd", encode(env), qos=1)
        async for message in client.messages:
            ack = decode(bytes(message.payload)).body
            if getattr(ack, "job_id", None) == action and ack.state is not AckState.RUNNING:
                if ack.state is not AckState.SUCCEEDED:
                    raise RuntimeError(f"{action} failed: {ack.message}")
                return
    raise RuntimeError("the broker closed the connection")


async def streaming(pid: int, broker_port: int, seconds: float) -> dict[str, float]:
    """The agent's figures while its camera streams to a WHIP endpoint on loopback."""
    from tests.agent.whip_kit import TOKEN, WhipEndpoint

    stream = f"mon-{DEVICE}"
    async with WhipEndpoint() as whip:
        start = {"stream_id": stream, "whip_url": whip.url(stream), "token": TOKEN, "fps": 15}
        await asyncio.wait_for(camera_call(broker_port, "stream_start", **start), 60)
        await whip.wait_for(lambda: whip.frames_after(30), 60)
        figures = await measure(pid, seconds)
        figures["frames"] = len(whip.counters) / (seconds + 2)
        await asyncio.wait_for(camera_call(broker_port, "stream_stop", stream_id=stream), 60)
    return figures


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


async def bench(
    tmp: Path, seconds: float, warmup: float, cameras: str, stream_s: float = 0
) -> dict[str, object]:
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
            agent = subprocess.Popen(agent_argv(config))  # noqa: ASYNC220 (started once, not awaited)
            try:
                birth = await asyncio.wait_for(wait_birth(int(broker.rsplit(":", 1)[1])), 120)
                await asyncio.sleep(warmup)  # start-up work (imports, first probes) settles
                figures = await measure(agent.pid, seconds)
                if stream_s > 0:
                    port = int(broker.rsplit(":", 1)[1])
                    figures_streaming = await streaming(agent.pid, port, stream_s)
            finally:
                agent.terminate()
                agent.wait(30)
            peripherals = birth["peripherals"]
            assert isinstance(peripherals, list)
            health = {p["id"]: p["health"] for p in peripherals}
            result: dict[str, object] = {"agent": figures, "health": health}
            if stream_s > 0:
                result["streaming"] = figures_streaming
            return result
    finally:
        for sim in (idcard, button, rating):
            await sim.stop()
        mosquitto.terminate()
        mosquitto.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=20.0, help="after the birth")
    parser.add_argument("--stream-seconds", type=float, default=30.0, help="0: no stream")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kf-footprint-") as tmp:
        for name in ("all", "lean", "opencv"):
            (Path(tmp) / name).mkdir()
        full = asyncio.run(
            bench(Path(tmp) / "all", args.seconds, args.warmup, "synthetic", args.stream_seconds)
        )
        lean = asyncio.run(bench(Path(tmp) / "lean", args.seconds, args.warmup, "none"))
        opencv = asyncio.run(bench(Path(tmp) / "opencv", args.seconds, args.warmup, "opencv"))
        launcher = launcher_idle(Path(tmp), min(args.seconds, 30.0))
    print(
        f"agent footprint, {args.seconds:g} s idle after {args.warmup:g} s warm-up, "
        f"{os.cpu_count()} cores SHARED with other work (load average before "
        f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f})"
    )
    print(f"peripherals at birth: {full['health']}")
    print(f"with the OpenCV cameras: {opencv['health']}")
    header = ("process", "CPU % core", "CPU ms/s", "RSS MB", "RSS max", "peak", "threads")
    print("{:<38}{:>11}{:>10}{:>9}{:>9}{:>8}{:>9}".format(*header))
    rows: tuple[tuple[str, object], ...] = (
        ("agent, every driver (synthetic cams)", full["agent"]),
        ("agent, every driver but cameras", lean["agent"]),
        ("agent, cameras as OpenCV files", opencv["agent"]),
        ("kfleet-agent-launch", launcher),
    )
    if "streaming" in full:
        rows += (("agent, synthetic camera streaming", full["streaming"]),)
    for name, f in rows:
        assert isinstance(f, dict)
        print(
            f"{name:<38}{f['cpu_pct']:>11.2f}{f['cpu_ms_per_s']:>10.2f}{f['rss_mb_mean']:>9.1f}"
            f"{f['rss_mb_max']:>9.1f}{f['hwm_mb']:>8.1f}{f['threads']:>9.0f}"
        )
    if "streaming" in full:
        f = full["streaming"]
        assert isinstance(f, dict)
        print(
            f"streaming: 640x480 at 15 fps to a WHIP endpoint on loopback, {f['frames']:.1f} "
            "frames/s received (its decoding runs in the benchmark's process, not the agent's)"
        )
    print("targets: agent RSS <= 120 MB, idle CPU <= 1 % of one core")


if __name__ == "__main__":
    main()
