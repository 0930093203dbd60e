"""Each fault of the city queue system, seen through the adapter: a 5xx or a timeout is tried
once more without doing the act twice, then a precise 503; stale reads never step back; a
wrong key, a dead system and an answer that is not its API are 503s saying what to do."""

from __future__ import annotations

import pytest

from cloud.hall.city_queue import CityQueue
from cloud.hall.city_queue_config import CityEndpoint, CityQueueConfig
from cloud.hall.city_queue_http import CityQueueRefused, CityQueueUnavailable
from protocols.hall import TicketState
from simulators.city_queue import CityQueueSim, Faults
from tests.hall.city_queue_kit import SITE, city


async def test_one_5xx_is_retried_and_the_ticket_taken_once() -> None:
    async with city() as (sim, q, _):
        sim.faults.fail_next = 1
        t = await q.take(SITE, "household", source="kiosk")
    assert [r[2] for r in sim.requests] == [500, 200]
    assert list(sim.state.tickets) == [t.id]


async def test_5xx_twice_is_a_503_that_says_what_to_do() -> None:
    async with city() as (sim, q, _):
        sim.faults.fail_next, sim.faults.fail_status = 2, 503
        with pytest.raises(CityQueueUnavailable) as err:
            await q.take(SITE, "household", source="kiosk")
    assert err.value.status_code == 503 and err.value.code == "city_queue_unavailable"
    assert "HTTP 503" in str(err.value) and "KFLEET_HALL_CITY_QUEUE" in str(err.value)
    assert sim.state.tickets == {}


async def test_a_timeout_is_retried_with_the_same_request_id_and_acts_once() -> None:
    async with city(timeout_s=0.3) as (sim, q, _):
        sim.faults.stall_next, sim.faults.stall_s = 1, 1.0
        t = await q.take(SITE, "household", source="kiosk")
    assert list(sim.state.tickets) == [t.id]  # the stalled request took it; the retry replayed
    assert t.ticket_no == "A001"


async def test_timeouts_twice_are_a_503_did_not_answer_in_time() -> None:
    async with city(timeout_s=0.3) as (sim, q, _):
        await q.take(SITE, "household", source="kiosk")
        sim.faults.stall_next, sim.faults.stall_s = 2, 1.0
        with pytest.raises(CityQueueUnavailable, match="did not answer in time"):
            await q.call_next(SITE, "1")


async def test_a_stale_read_is_asked_again() -> None:
    async with city() as (sim, q, _):
        t = await q.take(SITE, "household", source="kiosk")
        await q.call_next(SITE, "1")
        sim.faults.stale_next = 1
        before = len(sim.requests)
        seen = await q.ticket(SITE, t.id)
    assert seen.state is TicketState.CALLED and sim.faults.stale_next == 0
    reads = [r for r in sim.requests[before:] if r[0] == "GET"]
    assert len(reads) == 2  # the stale answer was noticed and the ticket read again


async def test_stale_reads_never_step_back_from_called_to_waiting() -> None:
    async with city() as (sim, q, _):
        t = await q.take(SITE, "household", source="kiosk")
        await q.call_next(SITE, "1")
        sim.faults.stale_next = 2
        seen = await q.ticket(SITE, t.id)
    assert (seen.state, seen.window_no) == (TicketState.CALLED, "1")


async def test_a_wrong_api_key_is_a_503_naming_the_keys_setting() -> None:
    async with city(api_key="wrong") as (_, q, _sink):
        with pytest.raises(CityQueueUnavailable, match="KFLEET_HALL_CITY_QUEUE_KEYS"):
            await q.take(SITE, "household", source="kiosk")


async def test_a_system_that_is_down_is_a_503_cannot_be_reached() -> None:
    async with CityQueueSim() as sim:
        url = sim.url
    q = CityQueue(CityQueueConfig({SITE: CityEndpoint(url, "k")}, {}, 1.0))
    try:
        with pytest.raises(CityQueueUnavailable, match="cannot be reached"):
            await q.ticket(SITE, 1)
    finally:
        await q.aclose()


async def test_an_answer_that_is_not_its_api_is_a_503() -> None:
    async with CityQueueSim() as sim:
        q = CityQueue(CityQueueConfig({SITE: CityEndpoint(sim.url + "/other", "k")}, {}, 1.0))
        try:
            with pytest.raises(CityQueueUnavailable, match="not its API"):
                await q.ticket(SITE, 1)
        finally:
            await q.aclose()


async def test_a_suspended_business_type_is_refused_409_with_its_code() -> None:
    async with city() as (sim, q, _):
        sim.state.suspended.add("HJ")
        with pytest.raises(CityQueueRefused) as err:
            await q.take(SITE, "household", source="kiosk")
    assert (err.value.status_code, err.value.code) == (409, "city_business_suspended")


def test_random_faults_are_reproducible_from_the_seed() -> None:
    def draws(seed: int) -> list[str]:
        faults = Faults(rate=0.5, seed=seed)
        return [faults.draw() for _ in range(40)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert {"fail", "stall", ""} == set(draws(7))
