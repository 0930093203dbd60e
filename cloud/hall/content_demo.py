"""A plausible hall floor plan drawn with OpenCV, for ``kfleet demo`` (no labels in Chinese:
the plan's title and window names ride in the content body, which screens draw as text)."""

from __future__ import annotations

import cv2
import numpy as np

WIDTH, HEIGHT = 1200, 750
WALL = (90, 90, 90)
FLOOR = (246, 244, 240)


def window_positions(windows: list[str]) -> dict[str, tuple[float, float]]:
    """Where :func:`demo_floorplan_png` draws each window: centres as fractions (x, y), the
    counters in a row along the top wall (two rows past 8 windows)."""
    per_row = min(max(len(windows), 1), 8)
    spots: dict[str, tuple[float, float]] = {}
    for i, number in enumerate(windows):
        row, col = divmod(i, per_row)
        x = 0.12 + 0.76 * (col + 0.5) / per_row
        y = 0.14 + 0.16 * row
        spots[number] = (round(x, 4), round(y, 4))
    return spots


def _box(img: np.ndarray, x: float, y: float, w: float, h: float, colour: tuple[int, ...]) -> None:
    p1 = (int(x * WIDTH), int(y * HEIGHT))
    p2 = (int((x + w) * WIDTH), int((y + h) * HEIGHT))
    cv2.rectangle(img, p1, p2, colour, -1)
    cv2.rectangle(img, p1, p2, WALL, 2)


def _text(img: np.ndarray, text: str, x: float, y: float, scale: float = 0.8) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), _ = cv2.getTextSize(text, font, scale, 2)
    org = (int(x * WIDTH - tw / 2), int(y * HEIGHT + th / 2))
    cv2.putText(img, text, org, font, scale, (60, 60, 60), 2, cv2.LINE_AA)


def demo_floorplan_png(windows: list[str]) -> bytes:
    """A PNG of a service hall: counters for ``windows`` along the top wall, a waiting area,
    a self-service zone, the ticket kiosk and the entrance."""
    img = np.full((HEIGHT, WIDTH, 3), FLOOR, dtype=np.uint8)
    cv2.rectangle(img, (20, 20), (WIDTH - 20, HEIGHT - 20), WALL, 6)
    cv2.rectangle(img, (WIDTH // 2 - 70, HEIGHT - 26), (WIDTH // 2 + 70, HEIGHT - 14), FLOOR, -1)
    _text(img, "ENTRANCE", 0.5, 0.93, 0.7)
    for number, (x, y) in window_positions(windows).items():
        _box(img, x - 0.04, y - 0.05, 0.08, 0.1, (214, 228, 247))
        _text(img, number, x, y)
    _box(img, 0.2, 0.48, 0.45, 0.3, (232, 240, 226))
    _text(img, "WAITING AREA", 0.425, 0.63)
    for i in range(5):
        for j in range(3):
            cx, cy = int((0.25 + 0.08 * i) * WIDTH), int((0.54 + 0.08 * j) * HEIGHT)
            cv2.rectangle(img, (cx - 18, cy - 10), (cx + 18, cy + 10), (180, 190, 170), -1)
    _box(img, 0.72, 0.48, 0.2, 0.3, (245, 233, 214))
    _text(img, "SELF-SERVICE", 0.82, 0.63, 0.7)
    _box(img, 0.56, 0.84, 0.08, 0.06, (250, 220, 200))
    _text(img, "KIOSK", 0.6, 0.87, 0.55)
    ok, buf = cv2.imencode(".png", img)
    if not ok:  # pragma: no cover - OpenCV always encodes a plain BGR image
        raise RuntimeError("OpenCV could not encode the demo floor plan")
    return bytes(buf.tobytes())
