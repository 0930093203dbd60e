"""The blank-page check on pages the document camera really produced (the synthetic 高拍仪
through the driver's rectify pipeline): an empty sheet is blank; no printed page of any kind
the simulator draws (forms, photos, ID copies, tables, handwriting, dense text, certificates)
is taken for blank, on a plain desk and on a busy one."""

from __future__ import annotations

import pytest

from edge_agent.drivers.doc_camera import DocCamera, DocCameraConfig
from edge_agent.kiosk.apply_blank import BLANK_SHARE, ink_share, is_blank
from simulators.doc_camera import SyntheticFrameSource

CFG = DocCameraConfig(
    type="doc_camera_uvc",
    id="doccam",
    device="synthetic:x",
    width=960,
    height=540,
    warmup_frames=0,
    flush_frames=0,
)


async def scans(condition: str, n: int, *, blank: bool) -> list[float]:
    camera = DocCamera(CFG, SyntheticFrameSource(condition, 0, (960, 540), blank=blank))
    return [ink_share((await camera.scan()).jpeg) for _ in range(n)]


async def test_an_empty_sheet_is_blank() -> None:
    shares = await scans("plain_desk", 6, blank=True)
    assert all(s < BLANK_SHARE for s in shares), shares


@pytest.mark.parametrize("condition", ["plain_desk", "clutter", "low_contrast", "faint"])
async def test_no_printed_page_is_blank(condition: str) -> None:
    shares = await scans(condition, 8, blank=False)
    assert min(shares) > 10 * BLANK_SHARE, shares  # a wide margin, not a near miss


def test_what_is_not_an_image_is_not_refused_as_blank() -> None:
    assert not is_blank(b"not a jpeg")
