"""Remote review of the citizen's scanned materials during a help call (docs/help-cobrowse.md).

The kiosk lists the materials of the citizen's current 自助申报 (each page uploaded first as
an apply page blob, ``PUT /api/v1/kiosk/apply/materials/{sha256}``); the operator sees each
page at full resolution and accepts a material or asks for a rescan with a note; the kiosk
long-polls the decisions and shows 工作人员请您重新扫描：<note> at that material. A material
whose pages change (the rescan) goes back to ``pending``. Only the calling kiosk's own
uploads are listed; nothing is kept after the call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from cloud.errors import NotFound
from cloud.help.cobrowse_gate import Waiter
from cloud.kiosk.errors import KioskError

log = logging.getLogger(__name__)

#: in-call state kept for at most this many calls (ended ones are dropped when seen)
MAX_CALLS = 500

MaterialState = Literal["pending", "accepted", "rescan"]
Decision = Literal["accept", "rescan"]


class Pages(Protocol):
    """Where the apply pages are (``cloud.kiosk.apply.ApplyService``)."""

    async def uploaded_by(self, sha256: str) -> str | None: ...

    def page_path(self, sha256: str) -> Path: ...


class PageNotUploaded(KioskError):
    status_code = 409
    code = "material_missing"

    def __init__(self, sha256: str) -> None:
        super().__init__(
            f"page {sha256} was not uploaded by this kiosk (or it expired): upload it first",
            "有一页材料未能上传，请稍后再试。",
            "A page could not be sent: please try again.",
        )


@dataclass
class Material:
    material_id: str
    name: str
    pages: list[str]
    state: MaterialState = "pending"
    note: str = ""

    def out(self) -> dict[str, Any]:
        return {
            "material_id": self.material_id,
            "name": self.name,
            "pages": len(self.pages),
            "state": self.state,
            "note": self.note,
        }


@dataclass
class _Review:
    materials: dict[str, Material] = field(default_factory=dict)
    version: int = 0
    changed: Waiter = field(default_factory=Waiter)


class MaterialReview:
    """The in-memory material review of every active call."""

    def __init__(self, pages: Pages | None) -> None:
        self.pages = pages
        self._reviews: dict[str, _Review] = {}

    def _review(self, call_id: str) -> _Review:
        if call_id not in self._reviews and len(self._reviews) >= MAX_CALLS:
            self.forget(next(iter(self._reviews)))  # a call nobody looked at after it ended
        return self._reviews.setdefault(call_id, _Review())

    def has(self, call_id: str) -> bool:
        """Whether anything of the call is held (gone once the call ends)."""
        return call_id in self._reviews

    def forget(self, call_id: str) -> None:
        review = self._reviews.pop(call_id, None)
        if review is not None:
            review.changed.changed()

    def _bump(self, review: _Review) -> None:
        review.version += 1
        review.changed.changed()

    # --- the kiosk ---
    async def put(self, call_id: str, device: str, rows: list[tuple[str, str, list[str]]]) -> int:
        """The materials the application holds now: (id, name, page sha256s) each."""
        for _, _, shas in rows:
            for sha in shas:
                if self.pages is None or await self.pages.uploaded_by(sha) != device:
                    raise PageNotUploaded(sha)
        review = self._review(call_id)
        fresh: dict[str, Material] = {}
        for material_id, name, shas in rows:
            old = review.materials.get(material_id)
            if old is not None and old.pages == shas:
                fresh[material_id] = old  # the operator's decision stands
            else:
                fresh[material_id] = Material(material_id, name, shas)
        review.materials = fresh
        self._bump(review)
        return review.version

    async def decisions(self, call_id: str, after: int, wait_s: float) -> dict[str, Any]:
        review = self._review(call_id)
        if review.version <= after:
            await review.changed.wait(wait_s)
        review = self._reviews.get(call_id, review)
        rows = [
            {"material_id": m.material_id, "state": m.state, "note": m.note, "pages": m.pages}
            for m in review.materials.values()
        ]
        return {"version": review.version, "decisions": rows}

    # --- the operator ---
    def listed(self, call_id: str) -> list[dict[str, Any]]:
        return [m.out() for m in self._review(call_id).materials.values()]

    def page(self, call_id: str, material_id: str, n: int) -> Path:
        """Page ``n`` (1-based) of a material, at full resolution."""
        material = self._review(call_id).materials.get(material_id)
        if material is None or not 1 <= n <= len(material.pages):
            raise NotFound(f"no page {n} of material {material_id} in this call")
        if self.pages is None:
            raise NotFound("the self-service application is not part of this cloud")
        return self.pages.page_path(material.pages[n - 1])

    def decide(self, call_id: str, material_id: str, decision: Decision, note: str) -> Material:
        review = self._review(call_id)
        material = review.materials.get(material_id)
        if material is None:
            raise NotFound(f"no material {material_id} in this call")
        material.state = "accepted" if decision == "accept" else "rescan"
        material.note = note
        self._bump(review)
        log.info("help call %s: material %s %s", call_id, material_id, material.state)
        return material
