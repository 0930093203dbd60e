"""Births and states of one bus batch share a transaction (``cloud.presence_ingest``) and end
exactly where the same messages applied one at a time end: same presence, same ``bd_seq``,
same device events, the same counts of what was ignored. The sequence has what a mass
reconnect brings: new devices, late wills of older sessions, a will that overtakes its birth,
a device going offline, and a birth naming a site that does not exist."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cloud.db.models import Device, DeviceEvent
from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.envelope import Envelope, MsgType, Sender
from protocols.messages import BirthBody, Role, StateBody, Versions
from tests.cloudkit import RECEIPT_PRINTER, running_cloud

HHL = "qh/hx/golmud/hhl"
Items = list[tuple[str, Envelope[Any]]]


def _birth(sender: Sender, bd_seq: int, site: str = HHL) -> tuple[str, Envelope[Any]]:
    body = BirthBody(
        device_id=sender.src,
        role=Role.KIOSK,
        site=site,
        bd_seq=bd_seq,
        versions=Versions(agent="test", protocol=1),
        peripherals=[RECEIPT_PRINTER],
    )
    return sender.src, sender.envelope(MsgType.BIRTH, body)


def _state(sender: Sender, online: bool, bd_seq: int) -> tuple[str, Envelope[Any]]:
    return sender.src, sender.envelope(MsgType.STATE, StateBody(online=online, bd_seq=bd_seq))


def _reconnect_storm(prefix: str) -> Items:
    a, b, c, d = (Sender(f"{prefix}-{n}") for n in "abcd")
    return [
        _birth(a, 5),
        _state(a, True, 5),
        _birth(b, 1),
        _state(b, True, 1),
        _state(b, False, 0),  # a late will of an older session: ignored
        _birth(c, 6),
        _state(c, True, 6),
        _state(c, False, 7),  # the will overtook its birth (MQTT orders no two topics)
        _birth(c, 7),  # ... so this birth does not bring c online
        _state(b, False, 1),  # b goes offline
        _birth(d, 2, site="qh/hx/golmud/nowhere"),  # refused: no such site
        _birth(b, 2),  # b is back in a new session
        _state(b, True, 2),
        _state(a, True, 5),  # the same again: unchanged
    ]


Outcome = tuple[dict[str, Any], dict[str, list[str]], dict[str, list[tuple[str, Any]]]]


async def _outcome(cloud: Parts, prefix: str) -> Outcome:
    async with cloud.sessions() as s:
        rows = (await s.scalars(select(Device).where(Device.id.startswith(prefix)))).all()
        events = (
            await s.scalars(
                select(DeviceEvent)
                .where(DeviceEvent.device_id.startswith(prefix))
                .order_by(DeviceEvent.id)
            )
        ).all()
    strip = len(prefix)
    devices = {d.id[strip:]: (d.online, d.bd_seq, d.ended_bd_seq) for d in rows}
    kinds: dict[str, list[str]] = {}
    details: dict[str, list[tuple[str, Any]]] = {}
    for e in events:
        if e.kind != "clock_skewed":
            kinds.setdefault(e.device_id[strip:], []).append(e.kind)
            details.setdefault(e.device_id[strip:], []).append((e.reason, e.data))
    return devices, kinds, details


def _count_transactions(cloud: Parts) -> list[int]:
    """How many messages each call of the presence ingest's ``apply`` (one transaction) took."""
    presence = cloud.ingest.presence
    calls: list[int] = []
    apply = presence.apply

    async def counting(messages: Sequence[tuple[str, Envelope[Any]]]) -> None:
        calls.append(len(messages))
        await apply(messages)

    presence.apply = counting  # type: ignore[method-assign]
    return calls


async def test_a_run_of_presence_ends_where_one_by_one_ends(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True)
    async with running_cloud(settings) as (cloud, _http):
        stats = cloud.stats
        before = Counter(stats.ignored), Counter(stats.rejected)
        applied = _count_transactions(cloud)
        assert await cloud.ingest.handle_batch(_reconnect_storm(f"one{uid}")) == []
        assert applied == [14], "the run was not one transaction (it fell back one by one)"
        batched = Counter(stats.ignored) - before[0], Counter(stats.rejected) - before[1]
        for item in _reconnect_storm(f"two{uid}"):
            assert await cloud.ingest.handle_batch([item]) == []
        single = Counter(stats.ignored) - before[0] - batched[0]
        single_rejected = Counter(stats.rejected) - before[1] - batched[1]

        run = await _outcome(cloud, f"one{uid}")
        alone = await _outcome(cloud, f"two{uid}")
    assert run == alone
    devices, kinds, details = run
    assert {k: v[:2] for k, v in devices.items()} == {
        "-a": (True, 5),
        "-b": (True, 2),  # offline in session 1, back in session 2
        "-c": (False, 7),  # the will of session 7 came before its birth: not online
    }
    assert kinds["-b"] == ["registered", "birth", "offline", "birth"]
    assert kinds["-c"] == ["registered", "birth", "birth"]
    assert details["-b"] == [
        (HHL, {}),  # registered, naming the site it registered in
        ("", {"bd_seq": 1, "online": True}),
        ("", {"bd_seq": 1}),
        ("", {"bd_seq": 2, "online": True}),
    ]
    assert batched == (single, single_rejected)
    assert batched[0]["stale_session"] == 2 and batched[0]["birth_of_ended_session"] == 1
    assert batched[1]["unknown_site"] == 1
