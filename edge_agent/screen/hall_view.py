"""The hall's content as the screens' scripts read it: names picked in the page's language,
images as URLs of this agent (only those already verified), the "you are here" marker of this
device. One JSON document for both screens, pushed whole at every change (it is small)."""

from __future__ import annotations

from typing import Any

from edge_agent.hall import HallContent
from edge_agent.screen.texts import Lang
from protocols.hall import (
    LIVE,
    WINDOWS,
    BlobRef,
    FloorPlanBody,
    LiveBody,
    WindowInfo,
    WindowLive,
    WindowsBody,
)

BLOB_PATH = "/screen/hall/blob/"


def hall_state(hall: HallContent, device_id: str, lang: Lang, connected: bool) -> dict[str, Any]:
    windows = hall.body(WINDOWS)
    live = hall.body(LIVE)
    infos = windows.windows if isinstance(windows, WindowsBody) else []
    lives = live.windows if isinstance(live, LiveBody) else []
    return {
        "revision": hall.revision,
        "connected": connected,
        "plan": _plan(hall, hall.plan, device_id, lang),
        "windows": _windows(hall, infos, lives, lang),
        "calls": [
            c.model_dump(mode="json") for c in (live.calls if isinstance(live, LiveBody) else [])
        ],
        "queues": [
            {
                "code": q.code,
                "name": _pick(q.name_zh, q.name_en, lang),
                "waiting": q.waiting,
                "expected_wait_min": q.expected_wait_min,
            }
            for q in (live.queues if isinstance(live, LiveBody) else [])
        ],
        "versions": {
            name: body.version
            for name in ("floorplan", WINDOWS, LIVE)
            if (body := hall.body(name)) is not None
        },
    }


def _pick(zh: str, en: str, lang: Lang) -> str:
    return en if lang == "en" and en else zh


def _url(hall: HallContent, ref: BlobRef | None) -> str | None:
    """This agent's URL of a verified image; None while it is not here (yet)."""
    if ref is None or not hall.blobs.has(ref.sha256):
        return None
    return BLOB_PATH + ref.sha256


def _plan(
    hall: HallContent, plan: FloorPlanBody | None, device_id: str, lang: Lang
) -> dict[str, Any] | None:
    if plan is None:
        return None
    here = next((m for m in plan.markers if m.device_id == device_id), None)
    return {
        "version": plan.version,
        "title": _pick(plan.title_zh, plan.title_en, lang),
        "image": _url(hall, plan.image),
        "sha256": plan.image.sha256,
        "width": plan.width,
        "height": plan.height,
        "windows": [w.model_dump(mode="json") for w in plan.windows],
        "areas": [
            {"name": _pick(a.name_zh, a.name_en, lang), "x": a.x, "y": a.y, "w": a.w, "h": a.h}
            for a in plan.areas
        ],
        "here": None if here is None else {"x": here.x, "y": here.y},
    }


def _windows(
    hall: HallContent, infos: list[WindowInfo], lives: list[WindowLive], lang: Lang
) -> list[dict[str, Any]]:
    """Every window either body names, in the windows body's order then the live one's."""
    by_live = {w.number: w for w in lives}
    numbers = [w.number for w in infos] + [n for n in by_live if n not in {w.number for w in infos}]
    by_info = {w.number: w for w in infos}
    out = []
    for number in numbers:
        info, now = by_info.get(number), by_live.get(number)
        roster = [
            {
                "staff_no": s.staff_no,
                "name": s.name,
                "title": s.title,
                "photo": _url(hall, s.photo),
            }
            for s in (info.staff if info else [])
        ]
        out.append(
            {
                "number": number,
                "name": _pick(info.name_zh, info.name_en, lang) if info else "",
                "services": [_pick(s.name_zh, s.name_en, lang) for s in info.services]
                if info
                else [],
                "roster": roster,
                "status": now.status.value if now else None,
                "staff_no": now.staff_no if now else "",
                "serving": now.serving if now else "",
                "serving_state": now.serving_state if now else "",
            }
        )
    return out
