"""The live calling state reaches the broker: after call-next the site's retained ``live``
body names the ticket and window; its version survives a restart and every site is
republished at start; the call button operates its window."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
from sqlalchemy import select

from cloud.db.models import Site
from cloud.events import PeripheralEventIn
from cloud.hall.queue_tables import HallLiveSeq
from protocols.envelope import MsgType, decode
from protocols.hall import LiveBody
from protocols.messages import EventBody, EventKind
from protocols.mqtt_url import parse_mqtt_url
from protocols.topics import site_topic
from tests.access.kit import AccessCloud
from tests.hall.queue_api_kit import HHL, add_staff, configure, hall_cloud, new_site


async def live_until(url: str, site: str, want: Callable[[LiveBody], bool]) -> LiveBody:
    ep = parse_mqtt_url(url)
    async with aiomqtt.Client(ep.host, ep.port, identifier=f"live-{uuid.uuid4().hex[:6]}") as c:
        await c.subscribe(site_topic(site, "live"), qos=1)
        async with asyncio.timeout(20):
            async for msg in c.messages:
                if msg.topic.value != site_topic(site, "live") or not isinstance(
                    msg.payload, bytes
                ):
                    continue
                body = decode(msg.payload, MsgType.CONTENT).body
                if isinstance(body, LiveBody) and want(body):
                    return body
    raise AssertionError("unreachable")


async def seq(cloud: AccessCloud, site: str) -> int:
    """The site's live version once every change so far is in a body."""
    assert cloud.parts.hall.live is not None
    async with asyncio.timeout(20):
        await cloud.parts.hall.live.settled()
    async with cloud.parts.sessions() as s:
        site_id = await s.scalar(select(Site.id).where(Site.path == site))
        row = await s.get(HallLiveSeq, site_id)
        return row.version if row else 0


async def test_call_next_is_on_the_broker_retained(tmp_path: Path, amqtt_url: str) -> None:
    async with hall_cloud(tmp_path, amqtt_url, setup=False) as h:
        site = await new_site(h.admin)
        await configure(h.admin, site, device="btn-live")
        await add_staff(h.cloud, site)
        for service in ("s-a", "s-b", "s-a"):
            await h.admin.post(f"/api/v1/hall/tickets?site={site}", json={"service": service})
        await add_staff(h.cloud, site, "1002")
        for window, staff in (("2", "1001"), ("1", "1002")):
            await h.admin.post(
                f"/api/v1/hall/windows/{window}/sign-in?site={site}", json={"staff_no": staff}
            )
        r = await h.admin.post(f"/api/v1/hall/windows/2/call-next?site={site}")
        assert r.json()["ticket_no"] == "A001"
        r = await h.admin.post(f"/api/v1/hall/windows/1/call-next?site={site}")
        assert r.json()["ticket_no"] == "A002"
        v = await seq(h.cloud, site)
        body = await live_until(amqtt_url, site, lambda b: b.version >= v)
    assert body.version == v  # retained: the newest
    assert [(c.ticket, c.window, c.recall) for c in body.calls] == [
        ("A002", "1", 0),
        ("A001", "2", 0),
    ]
    w2 = next(w for w in body.windows if w.number == "2")
    assert (w2.status, w2.staff_no, w2.serving, w2.serving_state) == (
        "open",
        "1001",
        "A001",
        "called",
    )
    assert [(q.code, q.waiting) for q in body.queues] == [("a", 0), ("b", 1)]


async def test_version_survives_restart_and_sites_are_republished(
    tmp_path: Path, amqtt_url: str
) -> None:
    async with hall_cloud(tmp_path, amqtt_url, setup=False) as h:
        site = await new_site(h.admin)
        await configure(h.admin, site, device="btn-restart")
        await h.admin.post(f"/api/v1/hall/tickets?site={site}", json={"service": "s-a"})
        before = await seq(h.cloud, site)
        async with asyncio.timeout(20):
            await h.cloud.parts.hall.publisher.wait_published(site, "live", before)
    assert before >= 1
    async with hall_cloud(tmp_path, amqtt_url, setup=False) as h:
        async with asyncio.timeout(20):
            await h.cloud.parts.hall.publisher.wait_published(site, "live", before + 1)
        body = await live_until(amqtt_url, site, lambda b: b.version > before)
    assert [(q.code, q.waiting) for q in body.queues] == [("a", 1), ("b", 0)]


def press(device: str, button: int, kind: str = "press") -> PeripheralEventIn:
    body = EventBody(kind=EventKind.BUTTON, peripheral="btn", data={"button": button, "kind": kind})
    return PeripheralEventIn(device, uuid.uuid4().hex, body, datetime.now(UTC))


async def test_the_call_button_operates_its_window(tmp_path: Path, amqtt_url: str) -> None:
    async with hall_cloud(tmp_path, amqtt_url) as h:
        c, sinks = h.admin, h.cloud.parts.ingest.peripheral_events
        await c.post(f"/api/v1/hall/tickets?site={HHL}", json={"service": "s-a"})
        await c.post(f"/api/v1/hall/windows/2/sign-in?site={HHL}", json={"staff_no": "1001"})

        async def window2() -> tuple[str, str]:
            w = next(
                w
                for w in (await c.get(f"/api/v1/hall/windows?site={HHL}")).json()
                if w["number"] == "2"
            )
            return w["ticket_no"], w["ticket_state"]

        await sinks.deliver(press("btn-hhl", 5))  # window 2's first button: call next
        assert await window2() == ("A001", "called")
        await sinks.deliver(press("btn-hhl", 5))  # the press before a long press: refused
        await sinks.deliver(press("btn-hhl", 5, "long_press"))  # recall
        t = (await c.get(f"/api/v1/hall/tickets?site={HHL}")).json()["items"][0]
        assert t["recalls"] == 1
        await sinks.deliver(press("btn-hhl", 6))  # start
        assert await window2() == ("A001", "serving")
        await sinks.deliver(press("btn-hhl", 7))  # complete
        assert await window2() == ("", "")
        await sinks.deliver(press("btn-hhl", 8))  # no-show: nothing in hand, refused
        await sinks.deliver(press("btn-other", 5))  # another device: not a window's
        t = (await c.get(f"/api/v1/hall/tickets/{t['id']}?site={HHL}")).json()
        assert (t["state"], t["window"]) == ("done", "2")
        assert sinks.failures == 0
