"""A publication reaches a kiosk over a real Mosquitto: the retained ``catalogue`` body on
the kiosk's site topic is accepted by the agent's content store (``edge_agent.hall``), and
the blob it names, fetched with the kiosk's own credentials, has that sha256 and is the
catalogue. A restarted cloud offers the current catalogue again without being asked."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import aiomqtt

from edge_agent.hall.content import HallContent
from protocols.guide import CATALOGUE, Catalogue, CatalogueBody
from protocols.mqtt_url import parse_mqtt_url
from protocols.topics import site_topic
from tests.access.kit import device_with_secret
from tests.kiosk.catalogue_kit import HHL, admin, catalogue_cloud, seed


async def follow_until(mqtt_url: str, store: HallContent, version: int) -> None:
    """Feed the kiosk site's catalogue messages to the agent's store until it holds
    ``version`` (an older retained copy from another run may come first)."""
    ep = parse_mqtt_url(mqtt_url)
    async with aiomqtt.Client(ep.host, ep.port, identifier="kf-kiosk-test") as client:
        await client.subscribe(site_topic(HHL, CATALOGUE), qos=1)
        async with asyncio.timeout(15):
            async for message in client.messages:
                await store.on_message(str(message.topic), bytes(message.payload))
                if store.store.version(CATALOGUE) == version:
                    return


async def test_a_published_catalogue_reaches_a_kiosks_content_store(
    tmp_path: Path, mosquitto_url: str
) -> None:
    async with catalogue_cloud(tmp_path / "cloud", mosquitto_url) as cloud:
        http = await admin(cloud)
        await seed(http, "gaoling", "hukou")
        published = (await http.post("/api/v1/guide/publish")).json()
        kiosk = HallContent(HHL, tmp_path / "kiosk", cloud_url=None, shows=True)
        await follow_until(mosquitto_url, kiosk, published["version"])

        body = kiosk.body(CATALOGUE)
        assert isinstance(body, CatalogueBody)
        assert (body.site, body.items, body.sample) == (HHL, 2, False)
        assert body.blob.sha256 == published["blob_sha256"]
        assert (tmp_path / "kiosk" / "content" / "catalogue.json").exists()  # kept on disk

        device = await cloud.client(await device_with_secret(cloud.parts, "hhl-kiosk-t"))
        r = await device.get(f"/api/v1/blobs/{body.blob.sha256}")
        assert r.status_code == 200
        assert hashlib.sha256(r.content).hexdigest() == body.blob.sha256
        assert len(r.content) == body.blob.size
        cat = Catalogue.model_validate_json(r.content)
        assert cat.version == body.version and {i.code for i in cat.items} == {"gaoling", "hukou"}


async def test_a_restarted_cloud_offers_the_current_catalogue_again(
    tmp_path: Path, mosquitto_url: str
) -> None:
    async with catalogue_cloud(tmp_path, mosquitto_url) as first:
        http = await admin(first)
        await seed(http)
        await http.post("/api/v1/guide/publish")
        await http.post("/api/v1/guide/publish")
    async with catalogue_cloud(tmp_path, mosquitto_url) as second:
        publisher = second.parts.hall.publisher
        async with asyncio.timeout(15):  # the kiosk worker republishes, nobody asked
            await publisher.wait_published(HHL, CATALOGUE, 2)
        assert publisher.published_version(HHL, CATALOGUE) == 2


async def test_a_site_created_after_the_publication_gets_the_catalogue(
    tmp_path: Path, mosquitto_url: str
) -> None:
    async with catalogue_cloud(tmp_path, mosquitto_url, catalogue_offer_interval_s=0.2) as cloud:
        http = await admin(cloud)
        await seed(http)
        version = (await http.post("/api/v1/guide/publish")).json()["version"]
        made = await http.post(
            "/api/v1/sites",
            json={"parent": "qh/hx/golmud", "code": "newtown", "name": "新镇", "level": "town"},
        )
        assert made.status_code == 201, made.text
        publisher = cloud.parts.hall.publisher
        async with asyncio.timeout(15):  # nobody publishes again: the worker's next round
            await publisher.wait_published("qh/hx/golmud/newtown", CATALOGUE, version)
