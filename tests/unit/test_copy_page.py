"""The self-service copy page: the mark's words, and a mark that is really on
the page (diagonal repeats and a legible band), or no copy at all without a CJK font."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_agent.fonts import find_cjk_font
from edge_agent.jobs.copy_page import WatermarkUnavailable, compose_copy, watermark_text
from tests.conftest import require_or_skip


@pytest.fixture
def font() -> Path:
    """The CJK font the watermark is drawn with (CI installs one; without it: skip, or fail
    under KFLEET_REQUIRE_SERVERS=1)."""
    found = find_cjk_font()
    if found is None:
        require_or_skip("a CJK font (apt-get install fonts-wqy-microhei)")
    return found


def _jpeg(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return buf.tobytes()


def test_the_mark_names_purpose_time_and_terminal() -> None:
    when = datetime(2026, 11, 29, 9, 5)
    assert watermark_text("办理户籍业务", "hhl-kiosk-01", when) == (
        "仅供办理户籍业务使用 · 2026-11-29 09:05 · hhl-kiosk-01"
    )
    assert watermark_text("a visa", "k1", when, "en") == "For a visa only · 2026-11-29 09:05 · k1"


def test_the_copy_carries_the_mark_across_the_page_and_in_a_band(font: Path) -> None:
    white = np.full((1600, 1240), 255, np.uint8)  # a grey scan stays grey
    page = compose_copy(_jpeg(white), "仅供测试使用 · 2026-11-29 09:05 · k1", font)
    assert page.pdf.startswith(b"%PDF-1.4") and page.pdf.rstrip().endswith(b"%%EOF")
    assert page.width == 1240 and page.height > 1600  # the band is added under the page
    assert b"/DeviceGray" in page.pdf
    image = cv2.imdecode(np.frombuffer(page.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    body, band = image[:1600], image[1600:]
    marked = body < 235
    # the diagonal mark covers the page in light grey, in every part of it
    for rows in (slice(0, 800), slice(800, 1600)):
        for cols in (slice(0, 620), slice(620, 1240)):
            share = marked[rows, cols].mean()
            assert 0.01 < share < 0.5, share
    assert body.min() > 120  # light enough to read through
    assert band.min() < 80  # the band's text is dark and legible


def test_a_small_scan_is_enlarged_and_the_band_always_fits(font: Path) -> None:
    small = np.full((388, 255), 255, np.uint8)  # a page seen small by the camera
    text = "仅供办理户籍业务使用 · 2026-11-29 06:47 · hhl-kiosk-01"
    page = compose_copy(_jpeg(small), text, font)
    assert page.width == 1240 and page.height > 388 * 1240 // 255
    image = cv2.imdecode(np.frombuffer(page.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    band = image[round(388 * 1240 / 255) :]
    inked = np.flatnonzero((band < 128).any(axis=0))
    assert inked.size and inked[0] > 0 and inked[-1] < page.width - 1  # not cut at the edges


def test_without_a_usable_font_there_is_no_copy(tmp_path: Path) -> None:
    white = _jpeg(np.full((100, 80, 3), 255, np.uint8))
    with pytest.raises(WatermarkUnavailable, match="fonts-wqy-microhei"):
        compose_copy(white, "仅供测试使用", None)
    not_a_font = tmp_path / "font.ttf"
    not_a_font.write_bytes(b"not a font")
    with pytest.raises(WatermarkUnavailable, match="cannot be loaded"):
        compose_copy(white, "仅供测试使用", not_a_font)


def test_the_font_is_looked_for_in_config_then_env_then_usual_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured, from_env = tmp_path / "a.ttc", tmp_path / "b.ttc"
    configured.write_bytes(b"x")
    from_env.write_bytes(b"x")
    monkeypatch.setenv("KFLEET_CJK_FONT", str(from_env))
    assert find_cjk_font(configured, candidates=()) == configured
    assert find_cjk_font(None, candidates=()) == from_env
    monkeypatch.setenv("KFLEET_CJK_FONT", str(tmp_path / "missing.ttc"))
    assert find_cjk_font(None, candidates=()) is None
    assert find_cjk_font(None, candidates=(str(configured),)) == configured
