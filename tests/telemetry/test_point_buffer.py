"""The writer's bounded buffer keeps runs of points as they were put; taking, giving back and
dropping cut through those runs at any point, and every point is accounted for once."""

from __future__ import annotations

from cloud.telemetry.buffer import PointBuffer
from cloud.telemetry.model import Point


def points(first: int, count: int) -> list[Point]:
    return [Point("m", float(first + i), 1, {"device": "d"}) for i in range(count)]


def values(batch: list[Point]) -> list[int]:
    return [int(p.value) for p in batch]


def test_takes_cut_through_runs_in_order() -> None:
    buf = PointBuffer(100, batch_points=4)
    buf.put(points(0, 3))
    buf.put(points(3, 5))
    buf.put(points(8, 1))
    assert (buf.held, buf.waiting) == (9, 9)
    first = buf.take(4)
    assert values(first) == [0, 1, 2, 3]
    assert values(buf.take(2)) == [4, 5]
    assert values(buf.take(10)) == [6, 7, 8]
    assert buf.take(10) == []
    assert (buf.held, buf.waiting) == (9, 0)
    buf.done(first)
    assert buf.held == 5


def test_a_refused_batch_goes_back_before_the_rest_of_a_cut_run() -> None:
    buf = PointBuffer(100)
    buf.put(points(0, 6))
    first = buf.take(2)
    second = buf.take(2)
    buf.give_back(second)
    buf.give_back(first)
    assert (buf.held, buf.waiting) == (6, 6)
    assert values(buf.take(100)) == [0, 1, 2, 3, 4, 5]


def test_the_caller_may_reuse_its_list() -> None:
    buf = PointBuffer(100)
    mine = points(0, 2)
    buf.put(mine)
    mine.clear()
    assert values(buf.take(5)) == [0, 1]


def test_a_full_buffer_drops_the_oldest_waiting_points_through_runs() -> None:
    buf = PointBuffer(5)
    out = buf.take(1)  # nothing waits yet
    assert out == []
    buf.put(points(0, 3))
    taken = buf.take(1)  # point 0 is out with the writer: it counts, it is not dropped
    assert buf.put(points(3, 2)) == 0
    assert buf.put(points(5, 3)) == 3  # 1, 2 and 3 go
    assert (buf.held, buf.dropped, buf.peak) == (5, 3, 5)
    buf.give_back(taken)  # it counted all along: back in front, nothing more dropped
    assert (buf.held, buf.waiting, buf.dropped) == (5, 5, 3)
    assert values(buf.take(10)) == [0, 4, 5, 6, 7]


def test_dropping_can_cut_the_oldest_run() -> None:
    buf = PointBuffer(4)
    buf.put(points(0, 3))
    assert buf.put(points(3, 3)) == 2
    assert values(buf.take(10)) == [2, 3, 4, 5]


async def test_the_events_follow_what_waits() -> None:
    buf = PointBuffer(100, batch_points=3)
    assert not buf._ready.is_set() and buf._empty.is_set()
    buf.put(points(0, 2))
    assert buf._ready.is_set() and not buf._batch.is_set() and not buf._empty.is_set()
    buf.put(points(2, 1))
    await buf.wait_batch()
    taken = buf.take(2)
    assert buf._ready.is_set() and not buf._batch.is_set()
    rest = buf.take(2)
    assert not buf._ready.is_set()
    buf.done(taken)
    assert not buf._empty.is_set()
    buf.done(rest)
    await buf.wait_empty()
