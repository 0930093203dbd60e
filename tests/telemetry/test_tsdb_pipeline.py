"""The cloud's pipeline on a real VictoriaMetrics, opened from ``KFLEET_TSDB_URL`` as the cloud
opens it: while VictoriaMetrics is down the points wait in the pipeline (``accept`` does not
wait), and after it is back every one of them lands at its own time, none lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cloud.clocks import DeviceClocks
from cloud.errors import ConfigError
from cloud.settings import Settings
from cloud.telemetry.influx_store import InfluxStore
from cloud.telemetry.model import Agg, SeriesQuery
from cloud.telemetry.pipeline import Backoff, TelemetryPipeline
from cloud.telemetry.stores import open_store
from cloud.telemetry.validate import Limits
from protocols.messages import Metric, TelemetryBody
from tests.faults.databases import SQLITE
from tests.telemetry.kit import database
from tests.telemetry.tsdb_kit import MINUTE, past_minute
from tests.vmkit import running_vm

FAST = Backoff(first=0.05, most=0.2)


def body(t0: int, first: int, count: int) -> TelemetryBody:
    """``count`` readings of one printer's page counter, one second apart."""
    return TelemetryBody(
        metrics=[
            Metric(name="peripheral.pages", value=i, ts=t0 + i * 1000, tags={"peripheral": "p"})
            for i in range(first, first + count)
        ]
    )


async def test_points_wait_while_victoriametrics_is_down_and_all_arrive(
    tmp_path: Path, uid: str
) -> None:
    t0 = past_minute(5)
    dev = f"kiosk-{uid}"
    async with database(SQLITE, tmp_path, f"kf_{uid}", None) as sessions:
        with running_vm() as vm:
            settings = Settings(data_dir=tmp_path, secret_key="s" * 64, tsdb_url=vm.url)
            store = open_store(settings, sessions)
            assert isinstance(store, InfluxStore) and store.name == "victoriametrics"
            pipeline = TelemetryPipeline(
                store, sessions, DeviceClocks(2000), Limits(), backoff=FAST
            )
            writer = asyncio.create_task(pipeline.run())
            try:
                vm.stop()
                for first in (0, 20, 40):
                    async with asyncio.timeout(5):  # accept never waits on the store
                        await pipeline.accept(dev, "kiosk", "qh/hx", body(t0, first, 20))
                assert not await pipeline.flush(0.5)
                stats = pipeline.stats()
                assert stats["store_down"] and stats["buffered_points"] == 60
                assert "cannot connect" in stats["last_error"]
                vm.start()
                assert await pipeline.flush(60), pipeline.stats()
                vm.flush()
                q = SeriesQuery("peripheral.pages", t0, t0 + 2 * MINUTE, 1, Agg.LAST, device=dev)
                got = await store.query(q)
            finally:
                writer.cancel()
                await asyncio.gather(writer, return_exceptions=True)
                await store.close()
    assert [dict(s.labels) for s in got] == [{"device": dev, "peripheral": "p"}]
    assert got[0].points == [(t0 + i * 1000, float(i)) for i in range(60)]


def test_a_bad_tsdb_url_stops_the_cloud_with_the_reason(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="s" * 64, tsdb_url="influxdb+http://h:1")
    with pytest.raises(ConfigError, match="needs org= and bucket="):
        open_store(settings, None)  # type: ignore[arg-type]  # never reached: the URL is bad
