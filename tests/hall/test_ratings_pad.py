"""好差评 at a window's pad, through the real cloud (MQTT, ingest, peripheral calls): a
completed ticket asks the pad; the answer, a time-out, a pad unplugged mid-rating, a late
answer and a duplicate event are each recorded against the right ticket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from cloud.events import PeripheralEventIn
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet import ratings as rules
from protocols.jobs import AckState
from protocols.messages import EventBody, EventKind, PeripheralCall
from tests.cloudkit import running_cloud
from tests.hall.ratings_kit import (
    DATABASES,
    add_window,
    database_url,
    done,
    follow_ups,
    pad_device,
    rate,
    ratings_of,
    register,
    requests,
    until,
)


@pytest.fixture(params=DATABASES)
async def env(
    request: pytest.FixtureRequest, tmp_path: Path, amqtt_url: str, uid: str
) -> AsyncIterator[tuple[Parts, httpx.AsyncClient]]:
    with database_url(request, uid) as url:
        settings = Settings(
            data_dir=tmp_path, mqtt_url=amqtt_url, demo=True, hall_ratings_poll_s=0.1
        )
        if url is not None:
            settings = settings.model_copy(update={"database_url": url})
        async with running_cloud(settings) as pair:
            yield pair


async def test_a_completed_ticket_asks_the_pad_and_a_bad_rating_opens_a_follow_up(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, _ = env
    async with pad_device(amqtt_url, uid) as dev:
        await register(cloud, dev)
        await add_window(cloud, dev.device_id)
        await cloud.hall.signals.ticket_done(done(57, "A012", case_no="QH-2026-0815"))
        cmd = await dev.next_command(10)
        call = cmd.body
        assert isinstance(call, PeripheralCall) and call.action == "request_rating"
        assert call.args == {
            "case_no": "QH-2026-0815#57",
            "window": "3号窗口",
            "staff": "张三 工号017",
            "timeout_s": 60.0,
        }
        await rate(dev, "QH-2026-0815#57", 2, ("attitude", "slow"))
        await dev.ack(call.call_id, AckState.SUCCEEDED, subject="call", result={"code": 2})
        [row] = await until(cloud.sessions, lambda rows: len(rows) == 1)
    assert (row.source, row.outcome, row.level, row.reasons) == (
        "pad",
        "rated",
        2,
        ["attitude", "slow"],
    )
    assert (row.ticket_id, row.ticket_no, row.case_no) == (57, "A012", "QH-2026-0815")
    assert (row.window_no, row.staff_no, row.service_code, row.fwd_state) == (
        "3",
        "017",
        "a",
        "pending",
    )
    [fu] = await follow_ups(cloud.sessions)
    assert (fu.rating_id, fu.state, fu.level) == (row.id, "open", 2)
    expected = rules.deadline(row.rated_at, ratings_of(cloud).calendar)
    assert fu.due_at.replace(tzinfo=UTC) == expected
    [req] = await requests(cloud.sessions)
    assert (req.state, req.call_id) == ("answered", call.call_id)


async def test_timeout_is_recorded_unrated_without_follow_up(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, _ = env
    async with pad_device(amqtt_url, uid) as dev:
        await register(cloud, dev)
        await add_window(cloud, dev.device_id)
        await cloud.hall.signals.ticket_done(done(8, "A008"))
        call = (await dev.next_command(10)).body
        await rate(dev, "A008#8", None)
        await dev.ack(call.call_id, AckState.SUCCEEDED, subject="call", result={"timed_out": True})
        [row] = await until(cloud.sessions, lambda rows: len(rows) == 1)
    assert (row.outcome, row.level, row.ticket_id, row.fwd_state) == ("timed_out", None, 8, "skip")
    assert await follow_ups(cloud.sessions) == []


async def test_pad_unplugged_mid_rating_is_abandoned(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, _ = env
    async with pad_device(amqtt_url, uid) as dev:
        await register(cloud, dev)
        await add_window(cloud, dev.device_id)
        await cloud.hall.signals.ticket_done(done(9, "A009"))
        call = (await dev.next_command(10)).body
        await dev.ack(
            call.call_id,
            AckState.FAILED,
            subject="call",
            reason="peripheral_error",
            message="rating pad pad is unplugged",
        )
        # the ratings worker (poll 0.1 s) finds the failed call
        [row] = await until(cloud.sessions, lambda rows: len(rows) == 1)
    assert (row.outcome, row.level, row.ticket_id, row.window_no) == ("abandoned", None, 9, "3")
    assert (row.dedupe_key, row.fwd_state) == (f"call:{call.call_id}", "skip")
    [req] = await requests(cloud.sessions)
    assert (req.state, req.error) == ("abandoned", "rating pad pad is unplugged")
    assert await ratings_of(cloud).pad.sweep() == 0  # recorded once


async def test_a_late_rating_lands_on_its_own_ticket_not_the_next(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, _ = env
    async with pad_device(amqtt_url, uid) as dev:
        await register(cloud, dev)
        await add_window(cloud, dev.device_id)
        await cloud.hall.signals.ticket_done(done(21, "A021"))
        first = (await dev.next_command(10)).body
        # the window calls and completes the next ticket before the citizen of A021 rates
        await cloud.hall.signals.ticket_done(done(22, "A022"))
        second = (await dev.next_command(10)).body
        assert (first.args["case_no"], second.args["case_no"]) == ("A021#21", "A022#22")
        await rate(dev, "A021#21", 5)
        await rate(dev, "A022#22", 1, ("wait_long",))
        rows = await until(cloud.sessions, lambda rows: len(rows) == 2)
    by_ticket = {r.ticket_id: (r.ticket_no, r.level) for r in rows}
    assert by_ticket == {21: ("A021", 5), 22: ("A022", 1)}
    [fu] = await follow_ups(cloud.sessions)
    assert fu.ticket_no == "A022"


async def test_a_duplicate_event_and_a_repeated_done_signal_count_once(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, _ = env
    async with pad_device(amqtt_url, uid) as dev:
        await register(cloud, dev)
        await add_window(cloud, dev.device_id)
        await cloud.hall.signals.ticket_done(done(31, "A031"))
        await cloud.hall.signals.ticket_done(done(31, "A031"))  # signalled twice
        await dev.next_command(10)
        msg_id = await rate(dev, "A031#31", 1, ("other",))
        [row] = await until(cloud.sessions, lambda rows: len(rows) == 1)
        # the same message handed to the sink again (redelivered past ingest's own dedupe)
        body = EventBody(
            kind=EventKind.RATING,
            peripheral="pad",
            data={"case_no": "A031#31", "code": 1, "reasons": ["other"]},
        )
        again = PeripheralEventIn(dev.device_id, msg_id, body, datetime.now(UTC))
        await ratings_of(cloud).pad.on_peripheral_event(again)
        assert dev.commands.empty()  # the second signal asked nothing
    rows = await until(cloud.sessions, lambda rows: len(rows) >= 1)
    assert [r.id for r in rows] == [row.id]
    assert len(await follow_ups(cloud.sessions)) == 1
    assert len(await requests(cloud.sessions)) == 1


async def test_an_offline_pad_is_not_asked_and_nothing_is_rated(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, _ = env
    async with pad_device(amqtt_url, uid) as dev:
        await register(cloud, dev)
        await add_window(cloud, dev.device_id)
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.state(False)
            assert await sub.wait_for(lambda v: v == "offline", 5) == "offline"
        await cloud.hall.signals.ticket_done(done(41, "A041"))
    [req] = await requests(cloud.sessions)
    assert req.state == "unsent" and "offline" in req.error
    assert await until(cloud.sessions, lambda rows: True) == []
