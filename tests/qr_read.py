"""One QR reader for the tests: OpenCV's ArUco-based detector.

The classic ``cv2.QRCodeDetector`` fails on about 1.6 % of perfectly drawn codes (its finder
search trips over some module patterns: 16 of 1,000 random enrollment links, at every scale),
which made tests with random tokens flaky. ``QRCodeDetectorAruco`` read all 1,000."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt


def read_qr(image: npt.NDArray[np.uint8]) -> str:
    """The decoded text of the one QR code in ``image`` ('' when none is read)."""
    text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(image)
    return str(text)
