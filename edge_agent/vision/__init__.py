"""Document-camera vision: find the page in a frame, rectify and clean it up, encode it.

Only OpenCV and NumPy. The document-camera driver imports this lazily, so an agent without
a document camera never loads OpenCV.
"""

from __future__ import annotations

from edge_agent.vision.page_detect import PageQuad, detect_page
from edge_agent.vision.rectify import (
    RectifyOptions,
    encode_jpeg,
    estimate_aspect,
    make_pdf,
    order_corners,
    rectify,
)

__all__ = [
    "PageQuad",
    "RectifyOptions",
    "detect_page",
    "encode_jpeg",
    "estimate_aspect",
    "make_pdf",
    "order_corners",
    "rectify",
]
