"""The built-in queue on a real (SQLite) database: numbering, FIFO and preference, every
window operation with its precise refusal, transfer, cancel, another site's ticket, the
ticket-done signal and the live body published after each change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.hall import HallWindow
from cloud.errors import Conflict, NotFound, Unprocessable
from cloud.hall.queue_errors import TransitionRefused
from cloud.hall.queue_service import BuiltinQueue
from cloud.hall.signals import HallSignals, TicketDone
from protocols.hall import TicketState
from tests.hall.queue_kit import OTHER, SITE, Clock, add_site, hall_db

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Sessions]:
    async with hall_db(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}") as sessions:
        await add_site(sessions)
        yield sessions


class Done:
    def __init__(self) -> None:
        self.seen: list[TicketDone] = []

    async def on_ticket_done(self, done: TicketDone) -> None:
        self.seen.append(done)


def queue(db: Sessions, signals: HallSignals | None = None) -> BuiltinQueue:
    return BuiltinQueue(db, signals, clock=Clock())


async def test_numbers_per_queue_and_people_ahead(db: Sessions) -> None:
    q = queue(db)
    a1 = await q.take(SITE, "s-a", source="kiosk")
    a2 = await q.take(SITE, "s-a", source="kiosk")
    b1 = await q.take(SITE, "s-b", source="kiosk")
    assert [a1.ticket_no, a2.ticket_no, b1.ticket_no] == ["A001", "A002", "B001"]
    assert [a1.people_ahead, a2.people_ahead, b1.people_ahead] == [0, 1, 0]
    assert a1.state is TicketState.ISSUED


async def test_call_next_fifo_in_preference_order(db: Sessions) -> None:
    q = queue(db)
    b1 = await q.take(SITE, "s-b", source="kiosk")
    a1 = await q.take(SITE, "s-a", source="kiosk")
    a2 = await q.take(SITE, "s-a", source="kiosk")
    first = await q.call_next(SITE, "1", staff_no="1001")
    assert first is not None and (first.id, first.state, first.window_no) == (
        a1.id,
        TicketState.CALLED,
        "1",
    )
    second = await q.call_next(SITE, "2")
    third = await q.call_next(SITE, "3")
    assert [second and second.id, third and third.id] == [a2.id, b1.id]


async def test_a_window_with_a_ticket_in_hand_cannot_call_again(db: Sessions) -> None:
    q = queue(db)
    await q.take(SITE, "s-a", source="kiosk")
    await q.take(SITE, "s-a", source="kiosk")
    await q.call_next(SITE, "1")
    with pytest.raises(Conflict, match="window 1 still has ticket A001 \\(called\\)"):
        await q.call_next(SITE, "1")


async def test_nobody_waiting_gives_none(db: Sessions) -> None:
    assert await queue(db).call_next(SITE, "1") is None


async def test_full_service_and_ticket_done_signal(db: Sessions) -> None:
    signals, done = HallSignals(), Done()
    signals.on_ticket_done(done)
    q = queue(db, signals)
    t = await q.take(SITE, "s-a", source="kiosk")
    await q.call_next(SITE, "2", staff_no="1001")
    recalled = await q.recall(SITE, "2")
    assert (recalled.state, recalled.recalls) == (TicketState.CALLED, 1)
    assert (await q.recall(SITE, "2")).recalls == 2
    assert (await q.start(SITE, "2")).state is TicketState.SERVING
    end = await q.complete(SITE, "2", case_no="C-77")
    assert (end.state, end.case_no) == (TicketState.DONE, "C-77")
    assert [(d.ticket_id, d.window_no, d.staff_no, d.case_no) for d in done.seen] == [
        (t.id, "2", "1001", "C-77")
    ]


async def test_no_show_ends_the_call(db: Sessions) -> None:
    q = queue(db)
    await q.take(SITE, "s-a", source="kiosk")
    await q.call_next(SITE, "1")
    assert (await q.no_show(SITE, "1")).state is TicketState.NO_SHOW
    with pytest.raises(Conflict, match=f"window 1 at {SITE} has no called or served ticket"):
        await q.start(SITE, "1")


async def test_illegal_ops_at_the_window_are_409_naming_the_state(db: Sessions) -> None:
    q = queue(db)
    await q.take(SITE, "s-a", source="kiosk")
    await q.call_next(SITE, "1")
    with pytest.raises(TransitionRefused, match="cannot complete ticket A001: it is called") as e:
        await q.complete(SITE, "1")
    assert (e.value.status_code, e.value.state) == (409, "called")
    await q.start(SITE, "1")
    for op, word in ((q.recall, "recall"), (q.no_show, "no-show"), (q.start, "start")):
        with pytest.raises(TransitionRefused, match=f"cannot {word} ticket A001: it is serving"):
            await op(SITE, "1")


async def test_cancel_waiting_and_not_done(db: Sessions) -> None:
    q = queue(db)
    t = await q.take(SITE, "s-a", source="kiosk")
    assert (await q.cancel(SITE, t.id)).state is TicketState.CANCELLED
    with pytest.raises(TransitionRefused, match="cannot cancel ticket A001: it is cancelled"):
        await q.cancel(SITE, t.id)
    assert await q.call_next(SITE, "1") is None


async def test_ticket_of_another_site_is_refused(db: Sessions) -> None:
    await add_site(db, OTHER)
    q = queue(db)
    t = await q.take(OTHER, "s-a", source="kiosk")
    with pytest.raises(
        NotFound,
        match=f"ticket {t.id} is not a ticket of site {SITE} \\(it is a ticket of another site\\)",
    ):
        await q.ticket(SITE, t.id)
    with pytest.raises(NotFound, match="another site"):
        await q.cancel(SITE, t.id)
    with pytest.raises(NotFound, match=f"ticket 99999 is not a ticket of site {SITE}$"):
        await q.ticket(SITE, 99999)


async def test_unknown_window_service_and_site(db: Sessions) -> None:
    q = queue(db)
    with pytest.raises(NotFound, match="window '9' is not configured at site"):
        await q.call_next(SITE, "9")
    with pytest.raises(NotFound, match="service 'nope' is not offered at site"):
        await q.take(SITE, "nope", source="kiosk")
    with pytest.raises(NotFound, match="site 'qh/none' not found"):
        await q.take("qh/none", "s-a", source="kiosk")


async def test_a_paused_window_cannot_call(db: Sessions) -> None:
    async with db() as s:
        await s.execute(update(HallWindow).where(HallWindow.number == "1").values(status="paused"))
        await s.commit()
    with pytest.raises(Conflict, match="window 1 at qh/hx/golmud/hhl is paused"):
        await queue(db).call_next(SITE, "1")


async def test_transfer_to_queue_keeps_number_and_place(db: Sessions) -> None:
    q = queue(db)
    t = await q.take(SITE, "s-a", source="kiosk")
    await q.take(SITE, "s-b", source="kiosk")
    await q.call_next(SITE, "1")
    await q.start(SITE, "1")
    new = await q.transfer(SITE, "1", to_queue="b")
    old = await q.ticket(SITE, t.id)
    assert (old.state, old.transferred_to) == (TicketState.TRANSFERRED, new.id)
    assert (new.state, new.queue_code, new.ticket_no, new.transferred_from) == (
        TicketState.ISSUED,
        "b",
        "A001",
        t.id,
    )
    assert new.issued_at == t.issued_at and new.people_ahead == 0
    got = await q.call_next(SITE, "2")
    assert got is not None and got.id == new.id


async def test_transfer_to_window_only_that_window_calls_it(db: Sessions) -> None:
    q = queue(db)
    await q.take(SITE, "s-a", source="kiosk")
    await q.call_next(SITE, "1")
    new = await q.transfer(SITE, "1", to_window="3")
    assert new.window_no == "3"
    assert await q.call_next(SITE, "2") is None
    got = await q.call_next(SITE, "3")
    assert got is not None and got.id == new.id


@pytest.mark.parametrize(
    ("to_queue", "to_window", "error", "message"),
    [
        ("", "", Unprocessable, "exactly one target"),
        ("b", "2", Unprocessable, "exactly one target"),
        ("zz", "", NotFound, "queue 'zz' is not configured"),
        ("", "9", NotFound, "window '9' is not configured"),
        ("", "1", Unprocessable, "is at window 1 already"),
    ],
)
async def test_transfer_refusals(
    db: Sessions, to_queue: str, to_window: str, error: type[Exception], message: str
) -> None:
    q = queue(db)
    await q.take(SITE, "s-a", source="kiosk")
    await q.call_next(SITE, "1")
    with pytest.raises(error, match=message):
        await q.transfer(SITE, "1", to_queue=to_queue, to_window=to_window)
    assert (await q.recall(SITE, "1")).state is TicketState.CALLED  # nothing changed


async def test_appointments_in_slot_first_at_most_two_in_a_row(db: Sessions) -> None:
    q = queue(db)
    walk = [await q.take(SITE, "s-a", source="kiosk") for _ in range(2)]
    appt = [
        await q.take(SITE, "s-a", source="appointment", appointment_id=f"ap{i}", priority=True)
        for i in range(3)
    ]
    order = []
    for _ in range(5):
        t = await q.call_next(SITE, "1")
        assert t is not None
        order.append(t.id)
        await q.no_show(SITE, "1")
    assert order == [appt[0].id, appt[1].id, walk[0].id, appt[2].id, walk[1].id]


async def test_check_in_within_the_slot_goes_first_late_does_not(db: Sessions) -> None:
    clock = Clock()
    q = BuiltinQueue(db, clock=clock)
    walk = await q.take(SITE, "s-a", source="kiosk")
    slot = clock.at + timedelta(minutes=10)
    late = await q.check_in(
        SITE,
        "s-a",
        appointment_id="late",
        slot_start=slot - timedelta(hours=2),
        slot_end=slot - timedelta(hours=1),
    )
    early = await q.check_in(
        SITE, "s-a", appointment_id="ok", slot_start=slot, slot_end=slot + timedelta(minutes=30)
    )
    assert (late.source, late.appointment_id) == ("appointment", "late")
    order = []
    for _ in range(3):
        t = await q.call_next(SITE, "1")
        assert t is not None
        order.append(t.id)
        await q.no_show(SITE, "1")
    assert order == [early.id, walk.id, late.id]
