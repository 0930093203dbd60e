"""Many ``tele`` messages of one bus batch applied in one transaction
(``cloud.telemetry.ingest_batch``): each new message applied once, copies and unknown devices
counted as a message at a time would be, late points never winning, order kept around other
messages (SQLite and PostgreSQL, on a running cloud)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from cloud.db.models import Device
from cloud.telemetry.latest import latest_values
from cloud.telemetry.lean import decode_tele
from cloud.wiring import Parts
from protocols.envelope import Envelope, MsgType, Sender, encode, wall_ms
from protocols.messages import BirthBody, Metric, Role, TelemetryBody, Versions
from tests.telemetry.kit import HHL
from tests.telemetry.test_ingest_e2e import stored

Items = list[tuple[str, Envelope[Any]]]


def tele(sender: Sender, *metrics: tuple[str, float, int]) -> Envelope[Any]:
    """A ``tele`` envelope as the bus hands it over (through the lean decoder)."""
    body = TelemetryBody(metrics=[Metric(name=n, value=v, ts=ts) for n, v, ts in metrics])
    return decode_tele(encode(sender.envelope(MsgType.TELE, body)))


def birth(sender: Sender) -> Envelope[Any]:
    body = BirthBody(
        device_id=sender.src,
        role=Role.KIOSK,
        site=HHL,
        bd_seq=0,
        versions=Versions(agent="test", protocol=1),
    )
    return sender.envelope(MsgType.BIRTH, body)


async def register(cloud: Parts, *senders: Sender) -> None:
    assert await cloud.ingest.handle_batch([(s.src, birth(s)) for s in senders]) == []


async def test_a_run_applies_each_new_message_once_and_counts_copies_and_strangers(
    tele_env: tuple[Parts, httpx.AsyncClient], uid: str
) -> None:
    cloud, _client = tele_env
    a, b, stranger = Sender(f"ka-{uid}"), Sender(f"kb-{uid}"), Sender(f"kx-{uid}")
    await register(cloud, a, b)
    now = wall_ms()
    old = tele(b, ("sys.disk_free_mb", -1, now - 1000))  # handled in an earlier batch
    assert await cloud.ingest.handle_batch([(b.src, old)]) == []
    refused = cloud.telemetry.stats()["bad_points"]["negative"]
    first = tele(a, ("sys.cpu_pct", 10, now), ("sys.disk_free_mb", -1, now))
    items: Items = [
        (a.src, first),
        (b.src, tele(b, ("sys.cpu_pct", 20, now))),
        (a.src, first),  # the outbox's replay, in the same batch
        (stranger.src, tele(stranger, ("sys.cpu_pct", 30, now))),
        (b.src, old),  # a replay of the earlier batch
    ]
    ignored = cloud.stats.ignored["duplicate_message"]
    unknown = cloud.stats.rejected["unknown_device"]
    handled = cloud.stats.handled["tele"]
    assert await cloud.ingest.handle_batch(items) == []
    assert cloud.stats.ignored["duplicate_message"] == ignored + 2
    assert cloud.stats.rejected["unknown_device"] == unknown + 1
    assert cloud.stats.handled["tele"] == handled + 5
    # the copies were not checked again: one more refused point (the first copy's), not three
    assert cloud.telemetry.stats()["bad_points"]["negative"] == refused + 1
    assert [(p.name, p.value) for p in await stored(cloud, a.src)] == [("sys.cpu_pct", 10.0)]
    assert [(p.name, p.value) for p in await stored(cloud, b.src)] == [("sys.cpu_pct", 20.0)]
    assert await stored(cloud, stranger.src) == []
    async with cloud.sessions() as s:
        seen = {d: at for d, at in (await s.execute(select(Device.id, Device.last_seen))).all()}
    assert seen[a.src] is not None and seen[b.src] is not None


async def test_late_points_never_override_newer_values_within_a_run_or_across_runs(
    tele_env: tuple[Parts, httpx.AsyncClient], uid: str
) -> None:
    cloud, _client = tele_env
    a = Sender(f"ka-{uid}")
    await register(cloud, a)
    now = wall_ms()
    newer, late = ("sys.cpu_pct", 50, now), ("sys.cpu_pct", 5, now - 60_000)
    assert await cloud.ingest.handle_batch([(a.src, tele(a, newer)), (a.src, tele(a, late))]) == []
    assert await cloud.ingest.handle_batch([(a.src, tele(a, late))]) == []
    async with cloud.sessions() as s:
        [value] = await latest_values(s, device=a.src)
    assert (value.value, value.ts_ms) == (50.0, now)


async def test_a_birth_earlier_in_the_batch_counts_for_the_telemetry_after_it(
    tele_env: tuple[Parts, httpx.AsyncClient], uid: str
) -> None:
    """Runs keep the batch's order: a device's first telemetry right behind its first birth
    (one bus batch after a reconnect) is applied, not refused as from an unknown device."""
    cloud, _client = tele_env
    a = Sender(f"ka-{uid}")
    now = wall_ms()
    items: Items = [(a.src, birth(a)), (a.src, tele(a, ("sys.cpu_pct", 7, now)))]
    unknown = cloud.stats.rejected["unknown_device"]
    assert await cloud.ingest.handle_batch(items) == []
    assert cloud.stats.rejected["unknown_device"] == unknown
    assert [(p.name, p.value) for p in await stored(cloud, a.src)] == [("sys.cpu_pct", 7.0)]
