"""A device's telemetry through real Mosquitto and a running cloud whose ``KFLEET_TSDB_URL``
names a real VictoriaMetrics: the points land there with the cloud's tags and the device's own,
at their own time, and the read API answers from there."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cloud.settings import Settings
from cloud.telemetry.influx_store import InfluxStore
from cloud.telemetry.model import Agg, SeriesQuery
from protocols.envelope import MsgType, encode
from protocols.messages import Metric, TelemetryBody
from protocols.telemetry import site_tags
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice, running_cloud
from tests.telemetry.kit import HHL
from tests.telemetry.tsdb_kit import MINUTE, past_minute
from tests.vmkit import VmServer

ALL_TAGS = ("device", "role", "site", "site_l1", "site_l2", "site_l3", "site_l4", "peripheral")


async def test_a_device_batch_lands_in_victoriametrics_with_every_tag(
    victoriametrics: VmServer, mosquitto_url: str, tmp_path: Path, uid: str
) -> None:
    t0 = past_minute(3)
    settings = Settings(
        data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True, tsdb_url=victoriametrics.url
    )
    body = TelemetryBody(
        metrics=[
            Metric(name="peripheral.paper", value=2, ts=t0 + 1000, tags={"peripheral": "rcpt"}),
            Metric(name="peripheral.paper", value=1, ts=t0 + 2000, tags={"peripheral": "rcpt"}),
            Metric(name="sys.cpu_pct", value=30, ts=t0 + 1000),
        ]
    )
    async with running_cloud(settings) as (cloud, client):
        store = cloud.telemetry.store
        assert isinstance(store, InfluxStore) and store.name == "victoriametrics"
        dev_id = f"k-{uid}"
        async with (
            FakeDevice(mosquitto_url, dev_id, site=HHL) as dev,
            cloud.hub.subscribe(f"device:{dev_id}") as sub,
        ):
            await dev.birth()
            assert await sub.wait_for(lambda v: v == "online", 10) == "online"
            await dev.publish_raw(
                DeviceChannel.TELE, encode(dev.sender.envelope(MsgType.TELE, body))
            )
            assert await sub.wait_for(lambda v: v == "tele", 10)
        assert await cloud.telemetry.flush(30), cloud.telemetry.stats()
        victoriametrics.flush()
        q = SeriesQuery("peripheral.paper", t0, t0 + MINUTE, 1, Agg.LAST, device=dev.device_id)
        every = await store.query(replace(q, group_by=ALL_TAGS))
        r = await client.get(
            "/api/v1/telemetry/series",
            params={
                "name": "peripheral.paper",
                "site": "qh/hx",
                "start": t0,
                "end": t0 + MINUTE,
                "step": 60,
                "agg": "max",
            },
        )
    assert r.status_code == 200, r.text
    assert r.json()["series"] == [
        {
            "name": "peripheral.paper",
            "labels": {"device": dev.device_id, "peripheral": "rcpt"},
            "points": [[t0, 2.0]],
        }
    ]
    want = {"device": dev.device_id, "role": "kiosk", **site_tags(HHL), "peripheral": "rcpt"}
    assert [{k: v for k, v in s.labels.items() if v} for s in every] == [want]
    assert every[0].points == [(t0 + 1000, 2.0), (t0 + 2000, 1.0)]  # at their own times
