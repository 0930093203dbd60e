"""The review desk: one pending corner review per camera, answered by the citizen (confirm,
retake, whole photo), given up at its deadline or when the job goes away, and corners that
cannot be a page refused with a sentence while the review stays open."""

from __future__ import annotations

import asyncio

import pytest

from edge_agent.jobs.corner_review import Decision, NotAsked, ReviewBusy
from edge_agent.jobs.review_desk import ReviewDesk, UnknownReview
from edge_agent.jobs.review_geometry import BadCorners
from tests.agent.corner_kit import TIMEOUT, answer, pending, request

GOOD = [[60.0, 50.0], [580.0, 40.0], [600.0, 330.0], [40.0, 320.0]]


async def test_confirm_hands_the_citizens_corners_back_in_frame_pixels() -> None:
    desk = ReviewDesk()
    task = asyncio.create_task(desk.review(request()))
    review = await pending(desk)
    shown = review.describe(asyncio.get_running_loop().time())
    # the detector's quad in preview pixels (scale 0.5, edges at 0)
    assert shown["corners"][0] == [50.25, 40.25] and shown["width"] == 640
    assert shown["frame_url"] == f"/api/v1/screen/review/{review.id}/frame.jpg"
    assert 25 <= shown["seconds_left"] <= 30 and shown["can_retake"]
    desk.decide(review.id, "confirm", GOOD)
    async with asyncio.timeout(TIMEOUT):
        decision = await task
    assert decision.action == "confirm" and decision.corners is not None
    assert decision.corners[0] == pytest.approx((119.5, 99.5))
    assert decision.corners[2] == pytest.approx((1199.5, 659.5))
    assert desk.current() is None
    with pytest.raises(UnknownReview):  # answered once: a second answer finds nothing
        desk.decide(review.id, "whole")


@pytest.mark.parametrize("action", ["retake", "whole"])
async def test_retake_and_whole_photo(action: str) -> None:
    desk = ReviewDesk()
    task = asyncio.create_task(desk.review(request()))
    assert (await answer(desk, action)).action == action
    async with asyncio.timeout(TIMEOUT):
        decision = await task
    assert decision == Decision(action)  # type: ignore[arg-type]


async def test_retake_is_refused_once_the_retakes_are_used_up() -> None:
    desk = ReviewDesk()
    task = asyncio.create_task(desk.review(request(can_retake=False)))
    review = await pending(desk)
    with pytest.raises(BadCorners, match="captured again as often as allowed"):
        desk.decide(review.id, "retake")
    desk.decide(review.id, "whole")
    assert (await task).action == "whole"


async def test_nobody_answers_the_review_times_out_and_leaves_the_screen() -> None:
    desk = ReviewDesk()
    task = asyncio.create_task(desk.review(request(seconds=0.3)))
    review = await pending(desk)
    async with asyncio.timeout(TIMEOUT):
        decision = await task
    assert decision.action == "timeout"
    assert desk.current() is None
    with pytest.raises(UnknownReview):
        desk.get(review.id)


@pytest.mark.parametrize(
    ("corners", "says"),
    [
        (GOOD[:3], "expected 4 points"),
        ("four", "expected 4 points"),
        ([*GOOD[:3], [40.0, "x"]], "corner 4"),
        ([*GOOD[:3], [40.0, float("nan")]], "corner 4"),
        ([*GOOD[:3], [-30.0, 320.0]], "outside the photo"),
        ([GOOD[0], GOOD[2], GOOD[1], GOOD[3]], "sides cross"),  # a bow tie
        ([GOOD[0], GOOD[1], [320.0, 60.0], GOOD[3]], "bend"),  # one corner pushed inwards
        ([[10.0, 10.0], [20.0, 10.0], [20.0, 20.0], [10.0, 20.0]], "too small"),
        ([[10.0, 10.0], [600.0, 10.0], [600.0, 14.0], [10.0, 14.0]], "too small"),  # a sliver
    ],
)
async def test_corners_that_cannot_be_a_page_are_refused_and_the_review_stays(
    corners: object, says: str
) -> None:
    desk = ReviewDesk()
    task = asyncio.create_task(desk.review(request()))
    review = await pending(desk)
    with pytest.raises(BadCorners, match=says):
        desk.decide(review.id, "confirm", corners)
    assert desk.current() is review and not task.done()
    with pytest.raises(BadCorners, match="action must be one of"):
        desk.decide(review.id, "approve", GOOD)
    desk.decide(review.id, "confirm", GOOD)  # a better answer is still taken
    assert (await task).action == "confirm"


async def test_a_finger_slightly_off_the_photo_is_pulled_onto_its_edge() -> None:
    desk = ReviewDesk()
    task = asyncio.create_task(desk.review(request()))
    review = await pending(desk)
    desk.decide(review.id, "confirm", [[-1.5, -1.0], *GOOD[1:]])
    decision = await task
    assert decision.corners is not None and decision.corners[0] == pytest.approx((-0.5, -0.5))


async def test_a_second_review_of_the_same_camera_is_refused_another_camera_waits() -> None:
    desk = ReviewDesk()
    first = asyncio.create_task(desk.review(request("doccam")))
    review = await pending(desk)
    with pytest.raises(ReviewBusy):
        await desk.review(request("doccam"))
    other = asyncio.create_task(desk.review(request("doccam-2")))
    assert desk.current() is review  # the oldest is shown first
    desk.decide(review.id, "whole")
    nxt = await pending(desk, seen=review.id)
    assert nxt.request.camera_id == "doccam-2"
    desk.decide(nxt.id, "whole")
    assert (await first).action == "whole" and (await other).action == "whole"


async def test_a_cancelled_job_takes_its_review_off_the_screen() -> None:
    desk = ReviewDesk()
    task = asyncio.create_task(desk.review(request()))
    review = await pending(desk)
    watcher = asyncio.create_task(desk.wait_change(review.id, 10.0))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(TIMEOUT):
        assert await watcher is None  # the long poll wakes at once
    with pytest.raises(UnknownReview):
        desk.decide(review.id, "confirm", GOOD)


async def test_closing_the_desk_answers_timeout_and_asks_nothing_more() -> None:
    desk = ReviewDesk()
    task = asyncio.create_task(desk.review(request()))
    await pending(desk)
    assert desk.available
    desk.close()
    assert await task == Decision("timeout", why="the agent was stopping")
    assert not desk.available and desk.current() is None
    with pytest.raises(NotAsked):  # a scan that saw it open just before: not left waiting
        async with asyncio.timeout(5):
            await desk.review(request())
    desk.open()
    assert desk.available


async def test_the_desk_is_unavailable_while_the_screen_is_not_serving() -> None:
    serving = [False]
    desk = ReviewDesk(lambda: serving[0])
    assert not desk.available
    serving[0] = True
    assert desk.available
