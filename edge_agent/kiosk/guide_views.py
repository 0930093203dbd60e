"""What the kiosk's guide screens receive: search rows, an item with everything a citizen needs
before going to the window, and the materials and forms of a situation.

Review points (审查要点) are for the clerk: the console and the printed guide show them, the
kiosk's screen does not.
"""

from __future__ import annotations

import io
import re
from typing import Any

import segno

from edge_agent.kiosk.guide_index import TIERS, GuideIndex, Hit
from protocols.guide import CODE_RE, Item
from protocols.guide_situation import applicable

MAX_ANSWERS = 50
_CODE = re.compile(CODE_RE)


class BadAnswers(ValueError):
    """The answers of a situation are not ``{question code: option code}``."""


def catalogue_info(index: GuideIndex | None) -> dict[str, Any]:
    """Which catalogue is held, with the departments and themes to filter by."""
    if index is None:
        return {"ready": False, "version": None, "sample": False, "published_at": None}
    c = index.catalogue
    return {
        "ready": True,
        "version": c.version,
        "sample": c.sample,
        "published_at": c.published_at.isoformat(),
        "items": len(c.items),
        "departments": [d.model_dump(mode="json") for d in c.departments],
        "themes": [t.model_dump(mode="json") for t in c.themes],
    }


def search_row(index: GuideIndex, hit: Hit) -> dict[str, Any]:
    item = hit.entry.item
    dept = _department(index, item)
    return {
        "code": item.code,
        "name": item.name,
        "name_en": item.name_en,
        "department": item.department,
        "department_name": dept[0],
        "department_name_en": dept[1],
        "object": item.object,
        "themes": item.themes,
        "time_limit_days": item.time_limit_days,
        "fees": item.fees,
        "here": hit.here,
        "match": TIERS[hit.tier],
    }


def item_view(index: GuideIndex, item: Item, site: str, public_url: str) -> dict[str, Any]:
    """The item screen's data: the item without its review points, named and placed."""
    body = item.model_dump(mode="json", exclude={"review_points"})
    dept = _department(index, item)
    themes = {t.code: t for t in index.catalogue.themes}
    body.update(
        department_name=dept[0],
        department_name_en=dept[1],
        theme_names=[
            {"code": c, "name": themes[c].name, "name_en": themes[c].name_en}
            for c in item.themes
            if c in themes
        ],
        here=not item.sites or site in item.sites,
        windows_here=item.windows.get(site, []),
        public_url=public_url,
        version=index.catalogue.version,
        sample=index.catalogue.sample,
    )
    return body


def situation_view(item: Item, answers: dict[str, str]) -> dict[str, Any]:
    """What applies to ``answers`` (``protocols.guide_situation``: the cloud's very rule)."""
    a = applicable(item, answers)
    return {
        "questions": [q.model_dump(mode="json") for q in a.questions],
        "unanswered": a.unanswered,
        "answers": a.answers,
        "materials": [m.model_dump(mode="json") for m in a.materials],
        "forms": [f.model_dump(mode="json") for f in a.forms],
        "complete": not a.unanswered,
    }


def parse_answers(body: Any) -> dict[str, str]:
    """``{"answers": {question: option}}`` (the key may be missing: no answers yet)."""
    if not isinstance(body, dict):
        raise BadAnswers("the body must be a JSON object {answers: {question: option}}")
    answers = body.get("answers", {})
    if not isinstance(answers, dict) or len(answers) > MAX_ANSWERS:
        raise BadAnswers(f"answers must be an object of at most {MAX_ANSWERS} entries")
    for q, o in answers.items():
        if not isinstance(o, str) or not _CODE.match(q) or not _CODE.match(o):
            raise BadAnswers(f"answer {q!r}: question and option must be codes like 'q1'/'yes'")
    return answers


def qr_svg(url: str) -> bytes:
    """The QR code of ``url`` as an SVG (dark on white, a quiet zone, sized by the page)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False)
    return out.getvalue()


def _department(index: GuideIndex, item: Item) -> tuple[str, str]:
    for d in index.catalogue.departments:
        if d.code == item.department:
            return d.name, d.name_en
    return item.department, item.department
