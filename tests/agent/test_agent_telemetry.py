"""Agent telemetry on a real Mosquitto: the metrics issue 12 names arrive with the right
names, tags and values, including the link's round trip, the clock offset and printers'
paper."""

from __future__ import annotations

import os
from pathlib import Path

from edge_agent.agent import Agent
from edge_agent.drivers.interface import counters_of
from protocols.envelope import MsgType, Sender, encode, wall_ms
from protocols.messages import Rebirth, TelemetryBody
from protocols.telemetry import HealthCode, PaperCode, PeripheralMetric, SysMetric
from simulators.escpos_printer import EscPosPrinterSim
from tests.agent.tele_kit import (
    Batch,
    batches_until,
    by_name,
    running,
    tele_config,
    tele_subscriber,
)

SYS = {m.value for m in SysMetric}
#: not given by this machine's OS (no /sys/class/thermal), nor known before the cloud speaks
OPTIONAL = {SysMetric.TEMP_C.value, SysMetric.CLOCK_OFFSET_MS.value}


def has(*names: str) -> object:
    return lambda got: names and set(names) <= set(by_name(got[-1][1]))


async def test_system_metrics_arrive_with_names_and_values_in_range(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    dev = f"tele-{uid}"
    agent = Agent(tele_config(mosquitto_url, dev, tmp_path / "data"))
    async with tele_subscriber(mosquitto_url, dev) as client, running(agent):
        before = wall_ms()
        got = await batches_until(client, has(SysMetric.BROKER_RTT_MS.value))
        after = wall_ms()
    env, body = got[-1]
    points = by_name(body)
    assert set(points) >= SYS - OPTIONAL
    v = {name: p.value for name, p in points.items()}
    for pct in (SysMetric.CPU_PCT, SysMetric.MEM_PCT, SysMetric.DISK_PCT):
        assert 0 <= v[pct] <= 100, (pct, v[pct])
    assert v[SysMetric.MEM_PCT] > 0 and v[SysMetric.DISK_PCT] > 0
    st = os.statvfs(tmp_path)
    free_mb = st.f_bavail * st.f_frsize / 2**20
    assert abs(v[SysMetric.DISK_FREE_MB] - free_mb) < max(64, free_mb * 0.05)
    assert v[SysMetric.LOAD1] >= 0
    assert v[SysMetric.HOST_UPTIME_S] > v[SysMetric.UPTIME_S] >= 0
    assert 0 < v[SysMetric.BROKER_RTT_MS] < 5000
    if SysMetric.TEMP_C.value in v:  # only where the OS gives one; never a made-up 0
        assert v[SysMetric.TEMP_C] != 0
    assert v["tele_sample_errors"] == 0 and v["tele_errors"] == 0
    # every point of a batch has its sample's own timestamp, before the message was made
    assert {p.ts for p in body.metrics} == {body.metrics[0].ts}
    assert before - 1000 <= body.metrics[0].ts <= min(env.ts, after)


async def test_clock_offset_comes_from_the_clouds_commands(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    dev = f"tele-{uid}"
    agent = Agent(tele_config(mosquitto_url, dev, tmp_path / "data"))
    async with tele_subscriber(mosquitto_url, dev) as client, running(agent):
        got = await batches_until(client, lambda got: len(got) >= 2)
        assert SysMetric.CLOCK_OFFSET_MS.value not in by_name(got[-1][1])  # unknown: absent
        # a cloud whose clock is 5 s behind this device's
        cmd = Sender("cloud").envelope(MsgType.CMD, Rebirth())
        cmd = cmd.model_copy(update={"ts": cmd.ts - 5000})
        await client.publish(f"kf/v1/dev/{dev}/cmd", encode(cmd), qos=1)
        got = await batches_until(client, has(SysMetric.CLOCK_OFFSET_MS.value))
    offset = by_name(got[-1][1])[SysMetric.CLOCK_OFFSET_MS.value].value
    assert 5000 <= offset < 5000 + 1000  # device minus cloud, plus one one-way delay


def peripheral_config(tmp_path: Path, escpos_port: int) -> list[dict[str, object]]:
    return [
        {"type": "escpos_network", "id": "receipt", "host": "127.0.0.1", "port": escpos_port},
        {"type": "a4_spool", "id": "a4", "directory": str(tmp_path / "spool")},
        {"type": "call_button_serial", "id": "btn", "port": str(tmp_path / "no-such-tty")},
    ]


def states(batch: Batch) -> dict[str, tuple[float, float | None]]:
    """peripheral id → (health code, paper code or None), checking the tags on the way."""
    body: TelemetryBody = batch[1]
    out: dict[str, tuple[float, float | None]] = {}
    kinds = {"receipt": "receipt_printer", "a4": "a4_printer", "btn": "call_button"}
    for pid, kind in kinds.items():
        points = by_name(body, pid)
        for p in points.values():
            assert p.tags == {"peripheral": pid, "kind": kind}
        paper = points.get(PeripheralMetric.PAPER.value)
        out[pid] = (points[PeripheralMetric.HEALTH.value].value, paper and paper.value)
    return out


async def test_peripheral_health_paper_and_counters(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    dev = f"tele-{uid}"
    (tmp_path / "spool").mkdir()
    async with EscPosPrinterSim(out_dir=tmp_path / "receipts") as sim:
        config = tele_config(
            mosquitto_url,
            dev,
            tmp_path / "data",
            health_interval_s=0.1,
            peripherals=peripheral_config(tmp_path, sim.port),
        )
        agent = Agent(config)
        ok = (HealthCode.OK, PaperCode.OK)
        async with tele_subscriber(mosquitto_url, dev) as client, running(agent):
            got = await batches_until(client, lambda got: states(got[-1])["receipt"] == ok)
            first = states(got[-1])
            assert first["a4"] == ok
            assert first["btn"] == (HealthCode.OFFLINE, None)  # unplugged; no paper to tell
            for pid in ("receipt", "a4", "btn"):  # the driver counters, as before
                names = set(by_name(got[-1][1], pid))
                assert {f"peripheral.{k}" for k in counters_of(agent.peripherals[pid])} <= names
            assert by_name(got[-1][1], "btn")["peripheral.errors.port_missing"].value >= 1
            sim.faults.near_end = True
            (tmp_path / "spool" / ".paper-out").touch()
            low = {"receipt": (HealthCode.DEGRADED, PaperCode.NEAR_END),
                   "a4": (HealthCode.OFFLINE, PaperCode.OUT)}  # fmt: skip
            await batches_until(client, lambda g: low.items() <= states(g[-1]).items())
            sim.faults.near_end = False
            (tmp_path / "spool" / ".paper-out").unlink()
            await batches_until(
                client, lambda g: states(g[-1])["receipt"] == ok and states(g[-1])["a4"] == ok
            )
