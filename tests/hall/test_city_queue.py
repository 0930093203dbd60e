"""The city queue adapter against the simulator over loopback HTTP: a ticket's whole life,
our service codes mapped to the city's business types, its statuses to ours."""

from __future__ import annotations

import pytest

from cloud.errors import NotFound
from cloud.hall.city_queue_http import CityQueueRefused
from protocols.hall import TicketState, WindowStatus
from tests.hall.city_queue_kit import SITE, city


async def test_take_maps_the_service_to_the_business_type_and_numbers_per_type() -> None:
    async with city() as (sim, q, _):
        a1 = await q.take(SITE, "household", source="kiosk")
        a2 = await q.take(SITE, "household", source="kiosk")
        b1 = await q.take(SITE, "pension", source="kiosk")
    assert (a1.ticket_no, a2.ticket_no, b1.ticket_no) == ("A001", "A002", "B001")
    assert (a1.queue_code, a1.service_code, b1.service_code) == ("HJ", "household", "pension")
    assert (a1.state, a1.people_ahead, a2.people_ahead, b1.people_ahead) == (
        TicketState.ISSUED,
        0,
        1,
        0,
    )
    assert a1.site == SITE and a1.source == "kiosk" and a1.issued_at.utcoffset() is not None
    assert sim.state.tickets[a1.id].business_type == "HJ"


async def test_a_ticket_called_served_and_completed_signals_done() -> None:
    async with city() as (_, q, sink):
        t = await q.take(SITE, "household", source="kiosk")
        called = await q.call_next(SITE, "1", staff_no="S07")
        assert called is not None and called.id == t.id
        assert (called.state, called.window_no, called.staff_no) == (TicketState.CALLED, "1", "S07")
        assert (await q.recall(SITE, "1")).recalls == 1
        assert (await q.start(SITE, "1")).state is TicketState.SERVING
        done = await q.complete(SITE, "1", case_no="HX2026-001")
        assert (await q.ticket(SITE, t.id)).state is TicketState.DONE
    assert (done.state, done.case_no) == (TicketState.DONE, "HX2026-001")
    assert [(d.ticket_id, d.window_no, d.staff_no, d.case_no) for d in sink.done] == [
        (t.id, "1", "S07", "HX2026-001")
    ]


async def test_nobody_waiting_is_none_and_no_show_ends_the_ticket() -> None:
    async with city() as (_, q, _sink):
        assert await q.call_next(SITE, "1") is None
        t = await q.take(SITE, "household", source="console")
        await q.call_next(SITE, "1")
        gone = await q.no_show(SITE, "1")
    assert (gone.id, gone.state, gone.ended_at is not None) == (t.id, TicketState.NO_SHOW, True)


async def test_transfer_to_another_business_type_and_to_a_window() -> None:
    async with city() as (_, q, _sink):
        t = await q.take(SITE, "household", source="kiosk")
        await q.call_next(SITE, "1")
        moved = await q.transfer(SITE, "1", to_queue="pension")
        old = await q.ticket(SITE, t.id)
        assert (old.state, old.transferred_to) == (TicketState.TRANSFERRED, moved.id)
        assert (moved.queue_code, moved.ticket_no, moved.transferred_from) == ("SB", "A001", t.id)
        again = await q.call_next(SITE, "3")
        assert again is not None and again.id == moved.id
        to_win = await q.transfer(SITE, "3", to_window="4")
        assert (await q.call_next(SITE, "2")) is None  # window 4's, not for window 2
        got = await q.call_next(SITE, "4")
    assert got is not None and got.id == to_win.id and got.window_no == "4"


async def test_cancel_a_waiting_ticket_and_people_ahead_drops() -> None:
    async with city() as (_, q, _sink):
        first = await q.take(SITE, "household", source="kiosk")
        second = await q.take(SITE, "household", source="kiosk")
        assert (await q.cancel(SITE, first.id)).state is TicketState.CANCELLED
        assert (await q.ticket(SITE, second.id)).people_ahead == 0


async def test_an_unknown_business_type_is_refused_422_with_the_city_code() -> None:
    async with city() as (_, q, _sink):
        with pytest.raises(CityQueueRefused) as err:
            await q.take(SITE, "passport", source="kiosk")
    assert (err.value.status_code, err.value.code) == (422, "city_business_unknown")
    assert "passport" in str(err.value) and "refused" in str(err.value)


async def test_an_illegal_act_is_refused_409_and_an_unknown_ticket_404() -> None:
    async with city() as (_, q, _sink):
        with pytest.raises(CityQueueRefused) as err:
            await q.recall(SITE, "1")
        assert (err.value.status_code, err.value.city_code) == (409, "STATE_INVALID")
        await q.take(SITE, "household", source="kiosk")
        await q.take(SITE, "household", source="kiosk")
        await q.call_next(SITE, "1")
        with pytest.raises(CityQueueRefused) as busy:
            await q.call_next(SITE, "1")
        assert busy.value.city_code == "WINDOW_BUSY"
        with pytest.raises(NotFound):
            await q.ticket(SITE, 999)
        with pytest.raises(NotFound):
            await q.call_next(SITE, "99")


async def test_waiting_lists_in_call_order_and_a_paused_window_is_refused_409() -> None:
    async with city() as (sim, q, _sink):
        a = await q.take(SITE, "household", source="kiosk")
        b = await q.take(SITE, "pension", source="kiosk")
        c = await q.take(SITE, "household", source="kiosk")
        assert [t.id for t in await q.waiting(SITE)] == [a.id, b.id, c.id]
        assert [t.id for t in await q.waiting(SITE, "HJ")] == [a.id, c.id]
        await q.set_window_status(SITE, "1", WindowStatus.PAUSED)
        with pytest.raises(CityQueueRefused) as err:
            await q.call_next(SITE, "1")
        assert (err.value.status_code, err.value.city_code) == (409, "WINDOW_NOT_OPEN")
        await q.set_window_status(SITE, "1", WindowStatus.OPEN, staff_no="S09")
        called = await q.call_next(SITE, "1")
    assert called is not None and (called.id, called.staff_no) == (a.id, "S09")
    assert sim.state.windows["1"].staff_no == "S09"
