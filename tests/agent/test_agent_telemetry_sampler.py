"""The system sampler on a /proc we write ourselves: exact values, absent gauges, and files
that cannot be read (the other gauges still come, the failure is counted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.agent import Agent
from edge_agent.tele.system import SystemSampler
from protocols.telemetry import SysMetric
from tests.agent.tele_kit import tele_config

CPU, MEM, LOAD, UP, TEMP = (
    SysMetric.CPU_PCT.value,
    SysMetric.MEM_PCT.value,
    SysMetric.LOAD1.value,
    SysMetric.HOST_UPTIME_S.value,
    SysMetric.TEMP_C.value,
)


def fake_proc(root: Path, *, busy: int = 200, total: int = 1000) -> Path:
    root.mkdir(exist_ok=True)
    idle = total - busy
    (root / "stat").write_text(f"cpu  {busy // 2} 0 {busy // 2} {idle} 0 0 0 0 0 0\ncpu0 1\n")
    (root / "meminfo").write_text("MemTotal:  1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\n")
    (root / "loadavg").write_text("0.42 0.30 0.20 1/100 123\n")
    (root / "uptime").write_text("12345.60 2000.00\n")
    return root


def thermal(root: Path, *millideg: str) -> Path:
    for n, value in enumerate(millideg):
        zone = root / f"thermal_zone{n}"
        zone.mkdir(parents=True)
        (zone / "temp").write_text(value + "\n")
    return root


def test_values_come_from_proc_statvfs_and_the_hottest_thermal_zone(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path / "proc")
    zones = thermal(tmp_path / "thermal", "45000", "0", "52500", "garbage", "-273000")
    sampler = SystemSampler(tmp_path, proc=proc, thermal=zones)
    first = sampler.sample()
    assert CPU not in first  # the counters did not move since the sampler was made
    fake_proc(proc, busy=300, total=1200)  # 100 of the 200 jiffies since were busy
    got = sampler.sample()
    assert got[CPU] == pytest.approx(50.0)
    assert got[MEM] == pytest.approx(75.0)  # (total - available) / total
    assert got[LOAD] == pytest.approx(0.42)
    assert got[UP] == pytest.approx(12345.6)
    assert got[TEMP] == pytest.approx(52.5)  # zero and out-of-range readings are not temps
    assert 0 < got[SysMetric.DISK_PCT.value] <= 100 and got[SysMetric.DISK_FREE_MB.value] > 0
    assert sampler.error_count == 0


def test_first_sample_measures_cpu_since_the_sampler_was_made(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path / "proc")
    sampler = SystemSampler(tmp_path, proc=proc, thermal=tmp_path / "none")
    fake_proc(proc, busy=250, total=1100)
    assert sampler.sample()[CPU] == pytest.approx(50.0)


def test_no_thermal_zone_means_no_temperature_not_zero(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path / "proc")
    for zones in (tmp_path / "absent", thermal(tmp_path / "t", "0", "x")):
        got = SystemSampler(tmp_path, proc=proc, thermal=zones).sample()
        assert TEMP not in got and LOAD in got


def test_an_unreadable_file_leaves_the_other_gauges_and_counts_an_error(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path / "proc")
    (proc / "stat").unlink()
    (proc / "stat").mkdir()  # unreadable as a file (we run as root: chmod would not stop us)
    (proc / "meminfo").write_text("MemTotal: lots kB\n")
    sampler = SystemSampler(tmp_path, proc=proc, thermal=tmp_path / "none")
    for _ in range(2):
        got = sampler.sample()
        assert CPU not in got and MEM not in got
        assert got[LOAD] == pytest.approx(0.42) and got[UP] == pytest.approx(12345.6)
    assert sampler.errors == {CPU: 2, MEM: 2}
    (proc / "stat").rmdir()
    fake_proc(proc)  # readable again: the gauge comes back from the next sample on
    assert CPU not in sampler.sample()  # (nothing to measure since: no earlier reading)
    fake_proc(proc, busy=300, total=1200)
    assert sampler.sample()[CPU] == pytest.approx(50.0)
    assert sampler.errors == {CPU: 2, MEM: 2}


def test_the_agents_batch_keeps_the_readable_metrics_and_reports_the_errors(
    tmp_path: Path,
) -> None:
    proc = fake_proc(tmp_path / "proc")
    (proc / "loadavg").write_text("")
    agent = Agent(tele_config("mqtt://127.0.0.1:1", "broken-proc", tmp_path / "data"))
    (tmp_path / "data").mkdir()
    agent.system = SystemSampler(tmp_path / "data", proc=proc, thermal=tmp_path / "none")
    values = {m.name: m.value for m in agent.telemetry().metrics}
    assert LOAD not in values and values[MEM] == pytest.approx(75.0)
    assert values["tele_sample_errors"] == 1
    assert values["uptime_s"] >= 0 and "jobs_failed" in values
