"""The MQTT channel on a real Mosquitto: a subscriber of the configured topic gets the
notice as JSON, published on the running cloud's own broker connection."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import aiomqtt

from cloud.app import create_app, seed_sites
from cloud.settings import Settings
from protocols.mqtt_url import parse_mqtt_url
from tests.cloudkit import running_cloud
from tests.notify.kit import channels_json, notice, until_rows, until_settled


async def test_a_subscriber_gets_the_notice(mosquitto_url: str, tmp_path: Path, uid: str) -> None:
    topic = f"kf/v1/notify/alerts-{uid}"
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto_url,
        mqtt_session="clean",
        demo=True,
        notify_poll_s=0.2,
        notify_channels=channels_json({"type": "mqtt", "name": "ops-bus", "topic": topic}),
    )
    ep = parse_mqtt_url(mosquitto_url)
    async with (
        running_cloud(settings) as (cloud, http),
        aiomqtt.Client(ep.host, ep.port, identifier=f"sub-{uuid.uuid4().hex[:8]}") as sub,
        asyncio.timeout(20),
    ):
        await sub.subscribe(topic, qos=1)
        await cloud.notify.notify(notice(1), ["ops-bus"])
        message = await anext(aiter(sub.messages))
        (row,) = await until_settled(cloud.sessions, 1)
        listed = (await http.get("/api/v1/notifications")).json()
    assert isinstance(message.payload, bytes)
    got = json.loads(message.payload)
    assert got["key"] == "alert-7-opened-1" and got["v"] == 1
    assert got["summary"].startswith("唐古拉山镇") and got["details"]["paper"] == "out"
    assert (row.state, row.channel) == ("delivered", "ops-bus")
    assert [i["channel"] for i in listed["items"]] == ["ops-bus"]


NOWHERE = {"type": "mqtt", "name": "ops-bus", "topic": "kf/v1/notify/x"}


async def test_broker_down_is_retried_not_lost(tmp_path: Path) -> None:
    """No broker at all: the publish fails as temporary, and the row waits for the next try."""
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url="mqtt://127.0.0.1:9",  # nothing listens on discard
        demo=True,
        notify_backoff_s=0.05,
        notify_poll_s=0.1,
        notify_channels=channels_json(
            {"type": "mqtt", "name": "ops-bus", "topic": "kf/v1/notify/x"}
        ),
    )

    app = create_app(settings)
    parts = app.state.parts
    await seed_sites(app)
    async with app.router.lifespan_context(app), asyncio.timeout(20):
        await parts.notify.notify(notice(1), ["ops-bus"])

        (row,) = await until_rows(parts.sessions, lambda got: got[0].attempts >= 2)
    assert row.state == "pending"
    assert "not connected to the broker" in row.last_error
