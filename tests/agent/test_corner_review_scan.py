"""A scan that asks the citizen about the corners (the real driver on synthetic frames): the
citizen's corners are the ones rectified, a retake captures again, the whole photo is kept
as it is, and without an answer the scan goes on and its result says how."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from edge_agent.drivers.doc_camera import PREVIEW_SIDE
from edge_agent.fonts import find_cjk_font
from edge_agent.jobs.a4_documents import document_for_copy
from edge_agent.jobs.corner_review import reviewed_scan
from edge_agent.jobs.review_desk import ReviewDesk
from protocols.jobs import CopyParams
from simulators.doc_camera import SyntheticFrameSource, jaccard
from tests.agent.corner_kit import SIZE, TIMEOUT, answer, camera, pending, to_preview
from tests.conftest import require_or_skip

SCALE = PREVIEW_SIDE / max(SIZE)


class BlankSource:
    """A camera staring at an empty desk: nothing page-like at all."""

    def read(self) -> tuple[bool, np.ndarray]:
        return True, np.full((SIZE[1], SIZE[0], 3), 128, np.uint8)

    def release(self) -> None:
        pass


async def test_confirmed_corners_are_the_ones_rectified() -> None:
    source = SyntheticFrameSource("plain_desk", seed=7, size=SIZE)
    cam, desk = camera(source), ReviewDesk()
    scan = asyncio.create_task(reviewed_scan(cam, "gray", desk))
    review = await pending(desk)
    assert review.request.preview_size == (1280, 720) and review.request.scale == SCALE
    assert source.last is not None
    truth = source.last.corners
    desk.decide(review.id, "confirm", to_preview(truth, SCALE))
    async with asyncio.timeout(TIMEOUT):
        result = await scan
    assert result.corners_source == "citizen" and result.page_found and result.mode == "gray"
    assert np.allclose(result.corners, np.asarray(truth), atol=0.01)
    assert jaccard(result.corners, truth, source.last.page_size) >= 0.999
    assert result.as_result()["corners_source"] == "citizen"
    assert source.reads == 1
    assert cam.counters()["corners.citizen"] == 1  # telemetry: peripheral.corners.citizen


async def test_retake_captures_again_until_the_retakes_are_used_up() -> None:
    source = SyntheticFrameSource("plain_desk", seed=3, size=SIZE)
    cam, desk = camera(source, max_retakes=1), ReviewDesk()
    scan = asyncio.create_task(reviewed_scan(cam, None, desk))
    first = await pending(desk)
    desk.decide(first.id, "retake")
    second = await pending(desk, seen=first.id)
    assert source.reads == 2 and not second.request.can_retake
    desk.decide(second.id, "whole")
    async with asyncio.timeout(TIMEOUT):
        result = await scan
    assert result.retakes == 1 and result.as_result()["retakes"] == 1
    assert result.corners_source == "whole_frame" and not result.page_found
    assert (result.width, result.height) == SIZE  # the photo as it is


async def test_without_an_answer_the_detected_page_is_used_and_the_result_says_so() -> None:
    source = SyntheticFrameSource("plain_desk", seed=7, size=SIZE)
    cam, desk = camera(source, review_timeout_s=0.3), ReviewDesk()
    async with asyncio.timeout(TIMEOUT):
        result = await reviewed_scan(cam, None, desk)
    assert result.corners_source == "timeout" and result.page_found
    assert "did not answer the corner check within 0.3 s" in result.note
    assert "the detected page" in result.note
    assert result.as_result()["corners_note"] == result.note
    assert source.last is not None
    assert jaccard(result.corners, source.last.corners, source.last.page_size) >= 0.9


async def test_without_an_answer_and_without_a_page_the_whole_frame_is_used() -> None:
    cam, desk = camera(BlankSource(), review_timeout_s=0.3), ReviewDesk()  # type: ignore[arg-type]
    async with asyncio.timeout(TIMEOUT):
        result = await reviewed_scan(cam, None, desk)
    assert result.corners_source == "timeout" and not result.page_found
    assert "the whole frame was used" in result.note
    assert (result.width, result.height) == SIZE


@pytest.mark.parametrize("why", ["sure enough", "no screen"])
async def test_the_citizen_is_not_asked_when_sure_or_when_nobody_can_answer(why: str) -> None:
    source = SyntheticFrameSource("plain_desk", seed=7, size=SIZE)
    cam = camera(source, ask_below=0.0) if why == "sure enough" else camera(source)
    desk = ReviewDesk(lambda: why != "no screen")
    async with asyncio.timeout(TIMEOUT):
        result = await reviewed_scan(cam, None, desk)
    assert result.corners_source == "detected" and result.page_found and result.note == ""
    assert "retakes" not in result.as_result()


async def test_a_citizen_answer_arriving_for_another_camera_changes_nothing() -> None:
    source = SyntheticFrameSource("plain_desk", seed=7, size=SIZE)
    cam, desk = camera(source), ReviewDesk()
    scan = asyncio.create_task(reviewed_scan(cam, None, desk))
    decision = await answer(desk, "whole")
    assert decision.action == "whole"
    async with asyncio.timeout(TIMEOUT):
        assert (await scan).corners_source == "whole_frame"


async def test_a_copy_asks_too_and_says_where_its_corners_came_from() -> None:
    font = find_cjk_font()
    if font is None:
        require_or_skip("a CJK font (fonts-noto-cjk) to draw the copy's watermark")
    source = SyntheticFrameSource("plain_desk", seed=7, size=SIZE)
    cam, desk = camera(source), ReviewDesk()
    params = CopyParams(purpose="办理户籍业务")
    copy = asyncio.create_task(document_for_copy(params, cam, terminal="t1", reviewer=desk))
    review = await pending(desk)
    assert source.last is not None
    desk.decide(review.id, "confirm", to_preview(source.last.corners, SCALE))
    async with asyncio.timeout(TIMEOUT):
        ready = await copy
    assert ready.details["corners_source"] == "citizen" and ready.doc.pdf.startswith(b"%PDF-")


async def test_a_preview_that_cannot_be_made_does_not_fail_the_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cam, desk = camera(), ReviewDesk()

    async def broken(*args: object, **kwargs: object) -> None:
        raise MemoryError("no room for the preview")

    monkeypatch.setattr(cam, "preview", broken)
    async with asyncio.timeout(TIMEOUT):
        result = await reviewed_scan(cam, None, desk)
    assert result.corners_source == "detected" and result.page_found
    assert desk.current() is None
