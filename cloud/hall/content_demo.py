"""A plausible hall floor plan drawn with OpenCV, for ``kfleet demo`` (no labels in Chinese:
the plan's title and window names ride in the content body, which screens draw as text)."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from cloud.db import sites as site_repo
from cloud.hall import content_repo
from cloud.hall.content_schemas import FloorPlanIn, PlanAreaIn, PlanWindowIn
from cloud.hall.content_service import ContentService
from cloud.hall.content_windows import window_numbers

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


#: the demo plan's areas, as drawn by :func:`demo_floorplan_png`
DEMO_AREAS = (
    PlanAreaIn(name_zh="等候区", name_en="Waiting area", x=0.2, y=0.48, w=0.45, h=0.3),
    PlanAreaIn(name_zh="自助服务区", name_en="Self-service", x=0.72, y=0.48, w=0.2, h=0.3),
)


async def publish_demo_content(
    content: ContentService, plan_sites: Iterable[str], windows_sites: Iterable[str]
) -> int:
    """For ``kfleet demo``: a floor plan at each of ``plan_sites`` and window information at
    each of ``windows_sites`` (sites whose windows are configured; others are skipped).
    Idempotent: a site with published content keeps it. Returns bodies published."""
    published = 0
    for site in plan_sites:
        async with content.sessions() as s:
            row = await site_repo.get_by_path(s, site)
            if row is None or await content_repo.current(s, row.id, "floorplan") is not None:
                continue
            numbers = sorted(await window_numbers(s, row.id), key=lambda n: (len(n), n))
        if not numbers:
            continue
        draft = await content.upload_floorplan(site, demo_floorplan_png(numbers), "demo", "")
        spots = window_positions(numbers)
        plan = FloorPlanIn(
            image_sha256=draft.body["image"]["sha256"],
            title_zh="大厅平面图",
            title_en="Hall floor plan",
            windows=[PlanWindowIn(number=n, x=x, y=y) for n, (x, y) in spots.items()],
            areas=list(DEMO_AREAS),
        )
        await content.publish_floorplan(site, plan, "demo")
        published += 1
    for site in windows_sites:
        async with content.sessions() as s:
            row = await site_repo.get_by_path(s, site)
            if row is None or not await window_numbers(s, row.id):
                continue
        published += await content.publish_windows(site, "demo") is not None
    return published
