"""The agent follows its site's hall content on a real Mosquitto, published retained the way
the cloud publishes it: the newest body of each kind is kept (on disk), an older one is
ignored, a body for another site or a broken payload is refused and counted (and never stops
the agent), and the subscription survives a reconnect."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import aiomqtt

from edge_agent.kiosk.guide import guide_of
from edge_agent.kiosk.guide_index import search
from protocols.mqtt_url import parse_mqtt_url
from tests.agent.hall_kit import (
    BlobServer,
    hall_config,
    live,
    plan,
    png,
    publish,
    running,
    site_of,
    until,
    until_fetched,
    windows,
)
from tests.kiosk.guide_agent_kit import body_for, catalogue


async def test_keeps_the_newest_and_ignores_older_content(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site = site_of(uid)
    async with BlobServer(f"hall-{uid}").running() as blobs:
        cfg = hall_config(mosquitto_url, uid, tmp_path / "d", blobs.url)
        async with running(cfg) as agent:
            hall = agent.hall
            await publish(mosquitto_url, site, live(site, 2, [("A012", "3")]))
            await until(agent, lambda: hall.store.version("live") == 2)

            await publish(mosquitto_url, site, live(site, 1, [("A001", "1")]))  # older
            await publish(mosquitto_url, site, windows(site, 1))  # marks the end
            await until(agent, lambda: hall.store.version("windows") == 1)
            assert hall.store.version("live") == 2
            assert hall.ignored["not_newer"] == 1

            await publish(mosquitto_url, site, live(site, 3, [("A013", "3"), ("A012", "3")]))
            await until(agent, lambda: hall.store.version("live") == 3)

    kept = json.loads((tmp_path / "d" / "content" / "live.json").read_text())
    assert kept["version"] == 3 and kept["calls"][0]["ticket"] == "A013"


async def test_refuses_other_sites_and_broken_payloads_and_goes_on(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site = site_of(uid)
    other = f"qh/o{uid}"
    async with BlobServer(f"hall-{uid}").running() as blobs:
        cfg = hall_config(mosquitto_url, uid, tmp_path / "d", blobs.url)
        async with running(cfg) as agent:
            hall = agent.hall
            await publish(mosquitto_url, site, live(other, 5, [("B001", "1")]))  # wrong site
            await publish(mosquitto_url, site, None, name="live", payload=b"\xff not json")
            await publish(mosquitto_url, site, windows(site, 4), name="live")  # wrong kind
            await publish(mosquitto_url, site, None, name="weather", payload=b'{"x": 1}')
            await publish(mosquitto_url, other, live(other, 6, [("B002", "1")]))  # not ours
            await publish(mosquitto_url, f"{site}/east", live(f"{site}/east", 7, []))  # below
            await publish(mosquitto_url, site, live(site, 1, [("A001", "1")]))  # marks the end
            await until(agent, lambda: hall.store.version("live") == 1)

            assert dict(hall.refused) == {"wrong_site": 1, "not_json": 1, "kind_mismatch": 1}
            assert hall.ignored["unknown_name"] == 1
            assert {"wrong_site", "not_json", "kind_mismatch"} <= set(agent.rejected)
            assert hall.store.version("windows") is None
            assert agent.link.connected.is_set()  # nothing took the link down


async def test_each_role_keeps_only_the_content_it_uses(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    """Windows keep what their screens show, kiosks only the service-guide catalogue (and
    fetch its blob, and search it); neither keeps the other's."""
    site = site_of(uid)
    first, second = (catalogue(v).model_dump_json().encode() for v in (1, 2))
    async with BlobServer(f"kiosk-{uid}").running() as blobs:
        blobs.add(first)
        blobs.add(second)
        kiosk_cfg = hall_config(mosquitto_url, uid, tmp_path / "k", blobs.url, role="kiosk")
        window_cfg = hall_config(mosquitto_url, uid, tmp_path / "w", blobs.url, role="window")
        async with running(kiosk_cfg) as kiosk, running(window_cfg) as window:
            assert kiosk.link.subscriptions.filters == [kiosk.hall.topic_filter]
            await publish(mosquitto_url, site, body_for(site, first, 1))
            await publish(mosquitto_url, site, live(site, 1, [("A001", "1")]))
            await publish(mosquitto_url, site, body_for(site, second, 2))  # marks the end
            sha = hashlib.sha256(second).hexdigest()
            await until(kiosk, lambda: kiosk.hall.store.version("catalogue") == 2)
            await until_fetched(kiosk, lambda: kiosk.hall.blobs.has(sha))
            await until(window, lambda: window.hall.store.version("live") == 1)
            assert kiosk.hall.store.version("live") is None
            assert kiosk.hall.ignored["not_kept"] == 1
            assert window.hall.store.version("catalogue") is None
            assert window.hall.ignored["not_kept"] >= 1 and blobs.requests[sha] == 1
            assert kiosk.kiosk is not None
            index = await guide_of(kiosk.kiosk).current()
            assert index is not None and index.catalogue.version == 2
            assert search(index, "gjj")[0].entry.item.code == "GJJ-001"


async def test_subscription_survives_a_reconnect(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site = site_of(uid)
    async with BlobServer(f"hall-{uid}").running() as blobs:
        cfg = hall_config(mosquitto_url, uid, tmp_path / "d", blobs.url)
        async with running(cfg) as agent:
            await publish(mosquitto_url, site, live(site, 1, [("A001", "1")]))
            await until(agent, lambda: agent.hall.store.version("live") == 1)
            assert agent.link.sessions == 1
            # a client with the agent's client id takes its session over: the agent reconnects
            ep = parse_mqtt_url(mosquitto_url)
            async with aiomqtt.Client(ep.host, ep.port, identifier=cfg.client_id):
                pass
            await publish(mosquitto_url, site, live(site, 2, [("A002", "1")]))
            await until(agent, lambda: agent.hall.store.version("live") == 2)
            assert agent.link.sessions >= 2


async def test_images_are_fetched_with_credentials_retried_and_verified(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site, dev = site_of(uid), f"hall-{uid}"
    red, blue = png((200, 0, 0)), png((0, 0, 200))
    async with BlobServer(dev).running() as blobs:
        blobs.add(red)
        blobs.add(blue)
        blobs.fail_next = 2  # the first two fetches meet a busy cloud
        cfg = hall_config(mosquitto_url, uid, tmp_path / "d", blobs.url)
        async with running(cfg) as agent:
            hall = agent.hall
            await publish(mosquitto_url, site, plan(site, 1, red, here=dev))
            await until(agent, lambda: hall.plan is not None)
            assert hall.plan is not None and hall.plan.version == 1
            assert hall.blobs.failures == 2 and blobs.requests[hall.plan.image.sha256] == 3
            cached = tmp_path / "d" / "content" / "blobs" / hall.plan.image.sha256
            assert cached.read_bytes() == red

            # a damaged image is never shown: the previous plan stays on screen
            blue_ref = plan(site, 2, blue).image
            blobs.damaged.add(blue_ref.sha256)
            await publish(mosquitto_url, site, plan(site, 2, blue, here=dev))
            await until_fetched(agent, lambda: blobs.requests[blue_ref.sha256] >= 2)
            assert hall.store.version("floorplan") == 2
            assert hall.plan.version == 1 and not hall.blobs.has(blue_ref.sha256)

            blobs.damaged.clear()  # repaired: the next retry shows the new plan
            await until(agent, lambda: hall.plan is not None and hall.plan.version == 2)


async def test_a_damaged_content_file_is_set_aside(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    data = tmp_path / "d"
    (data / "content").mkdir(parents=True)
    (data / "content" / "live.json").write_text('{"kind": "live", "vers')
    cfg = hall_config(mosquitto_url, uid, data, "http://127.0.0.1:9")
    async with running(cfg) as agent:
        assert agent.hall.store.version("live") is None
        assert len(list((data / "content").glob("live.json.corrupt-*"))) == 1
        site = site_of(uid)
        await publish(mosquitto_url, site, live(site, 1, [("A001", "1")]))
        await until(agent, lambda: agent.hall.store.version("live") == 1)
