"""Floor plan and photo checks: type by magic bytes and by decoding, pixel and byte limits,
SVG without scripts, event handlers, outside references or DTDs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cloud.hall.content_demo import demo_floorplan_png, window_positions
from cloud.hall.content_images import (
    ImageInvalid,
    ImageLimits,
    ImageTooLarge,
    NotAnImage,
    check_image,
    sniff,
)
from fleet.content import WindowSpot, check_plan

LIMITS = ImageLimits(max_bytes=200_000, max_side=1000)
WHAT = "the floor plan"


def encoded(ext: str, w: int = 64, h: int = 40) -> bytes:
    ok, buf = cv2.imencode(ext, np.full((h, w, 3), 200, dtype=np.uint8))
    assert ok
    return bytes(buf.tobytes())


@pytest.mark.parametrize(
    ("ext", "media"), [(".png", "image/png"), (".jpg", "image/jpeg"), (".webp", "image/webp")]
)
def test_raster_images_are_accepted_with_their_size(ext: str, media: str) -> None:
    checked = check_image(encoded(ext), LIMITS, WHAT)
    assert (checked.media_type, checked.width, checked.height) == (media, 64, 40)


def test_too_many_bytes_is_413_with_the_limit() -> None:
    with pytest.raises(ImageTooLarge, match="more than the 200000 accepted"):
        check_image(b"\x89PNG\r\n\x1a\n" + b"\0" * 200_000, LIMITS, WHAT)


def test_a_non_image_is_refused_as_unsupported() -> None:
    with pytest.raises(NotAnImage, match="not a PNG, JPEG, WebP or SVG"):
        check_image(b"%PDF-1.4 a document", LIMITS, WHAT)


def test_a_header_claiming_too_many_pixels_is_refused_before_decoding() -> None:
    png = bytearray(encoded(".png"))
    png[16:24] = (60000).to_bytes(4, "big") + (60000).to_bytes(4, "big")
    with pytest.raises(ImageInvalid, match="60000 × 60000 pixels; at most 1000"):
        check_image(bytes(png), LIMITS, WHAT)


def test_a_truncated_image_that_does_not_decode_is_refused() -> None:
    png = encoded(".png", 300, 300)
    with pytest.raises(ImageInvalid, match="does not decode"):
        check_image(png[:60], LIMITS, WHAT)


SVG_OK = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 600">'
    b'<rect width="10" height="10" fill="#ccc"/><use href="#a"/></svg>'
)


def test_a_plain_svg_is_accepted_with_its_viewbox_size() -> None:
    checked = check_image(SVG_OK, LIMITS, WHAT)
    assert (checked.media_type, checked.width, checked.height) == ("image/svg+xml", 800, 600)


NS = 'xmlns="http://www.w3.org/2000/svg" width="100" height="50"'


@pytest.mark.parametrize(
    ("svg", "why"),
    [
        (f"<svg {NS}><script>alert(1)</script></svg>", "<script> element"),
        (f'<svg {NS}><rect onclick="x()"/></svg>', "event handler attribute 'onclick'"),
        (f'<svg {NS} onload="x()"></svg>', "event handler attribute 'onload'"),
        (
            f'<svg {NS} xmlns:xl="http://www.w3.org/1999/xlink"><image xl:href="http://evil/x.png"/></svg>',
            "outside the file",
        ),
        (f'<svg {NS}><image href="file:///etc/passwd"/></svg>', "outside the file"),
        (
            f"<svg {NS}><style>@import url(http://evil/a.css);</style></svg>",
            "<style> refers outside",
        ),
        (f'<svg {NS}><rect style="fill:url(http://evil/p)"/></svg>', "refers outside the file"),
        (f"<svg {NS}><foreignObject><div/></foreignObject></svg>", "<foreignObject> element"),
        (
            '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
            f"<svg {NS}><text>&a;</text></svg>",
            "declares a DTD",
        ),
        (f"<svg {NS}><rect></svg>", "not well-formed XML"),
    ],
)
def test_an_svg_that_could_act_is_refused(svg: str, why: str) -> None:
    with pytest.raises(ImageInvalid) as caught:
        check_image(svg.encode(), LIMITS, WHAT)
    assert why in str(caught.value)


def test_an_svg_without_a_size_is_refused_with_what_to_do() -> None:
    with pytest.raises(ImageInvalid, match="set width and height in pixels, or a viewBox"):
        check_image(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', LIMITS, WHAT)


def test_an_html_page_is_not_an_svg() -> None:
    with pytest.raises(NotAnImage):
        check_image(b"<html><script>alert(1)</script></html>", LIMITS, WHAT)


def test_the_demo_plan_is_a_valid_plan_with_every_window_on_it() -> None:
    numbers = [str(n) for n in range(1, 11)]
    checked = check_image(demo_floorplan_png(numbers), ImageLimits(8 << 20, 8192), "demo")
    assert checked.media_type == "image/png" and (checked.width, checked.height) == (1200, 750)
    spots = [WindowSpot(n, x, y) for n, (x, y) in window_positions(numbers).items()]
    assert len(spots) == 10 and check_plan(spots, [], numbers) == []


@pytest.mark.timeout(10)
def test_sniffing_a_hostile_prologue_is_linear() -> None:
    """Regression: a regex over the prologue backtracked for minutes on many empty comments."""
    assert sniff(b"<!---->" * 600 + b"<svx") is None
    assert sniff(b"<!-- a -->" * 400 + b"<svg>") == "image/svg+xml"
    assert sniff(b"\xef\xbb\xbf<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a 'b'>]><svg/>")


@pytest.mark.timeout(10)
def test_an_svg_with_huge_attribute_values_is_judged_in_linear_time() -> None:
    ns = 'xmlns="http://www.w3.org/2000/svg" width="100" height="50"'
    inside = f'<svg {ns}><rect fill="url({" " * 200_000}#g)"/></svg>'.encode()
    assert check_image(inside, ImageLimits(1 << 20, 1000), WHAT).media_type == "image/svg+xml"
    wide = f'<svg xmlns="http://www.w3.org/2000/svg" width="{"1" * 200_000}x"/>'.encode()
    with pytest.raises(ImageInvalid, match="no usable size"):
        check_image(wide, ImageLimits(1 << 20, 1000), WHAT)
