"""Is a scanned page blank? A citizen who lays the wrong side up, or an empty sheet, is asked
to scan again rather than filing a white page with the platform.

Measured on the rectified page (lighting already evened out by the document camera's
pipeline), a central window (a 6 % margin ignores the crop's leftovers and the page edge):
the share of pixels clearly darker than the paper (ink) — text, stamps, photos, lines. A blank
sheet has almost none, only fibre and noise; the sparsest real page (a certificate frame, a
short handwritten note) has many times more.
"""

from __future__ import annotations

import cv2
import numpy as np

#: a pixel this much darker than the paper's level is ink (0..255 grey)
INK_STEP = 40
#: below this share of ink pixels the page is blank
BLANK_SHARE = 0.001
_WORK = 600  # px: the long side the page is measured at
_MARGIN = 0.06


def ink_share(jpeg: bytes) -> float:
    """The share of ink pixels in the page's central window (1.0 for an undecodable image:
    not blank, so nothing is refused for a reason the citizen cannot fix)."""
    grey = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    if grey is None or grey.size == 0:
        return 1.0
    h, w = grey.shape
    scale = _WORK / max(h, w)
    if scale < 1:
        grey = cv2.resize(
            grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
        h, w = grey.shape
    my, mx = int(h * _MARGIN), int(w * _MARGIN)
    window = cv2.GaussianBlur(grey[my : h - my, mx : w - mx], (3, 3), 0)
    if window.size == 0:
        return 1.0
    paper = float(np.percentile(window, 90))
    return float(np.count_nonzero(window < paper - INK_STEP)) / window.size


def is_blank(jpeg: bytes) -> bool:
    return ink_share(jpeg) < BLANK_SHARE
