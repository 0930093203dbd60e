"""Which questions, materials, forms and review points of an item apply to a citizen's answers
(办理情形). I/O-free: the kiosk, the console preview and the printed guide all call this, so
they can never disagree."""

from __future__ import annotations

from collections.abc import Mapping

from protocols.guide import Item, When
from protocols.guide_situation import Answers, Applicable, applicable, holds

# The situation rule lives in protocols.guide_situation so the kiosk's agent (which cannot
# import fleet) runs the very same code offline; fleet.guide keeps its names.
__all__ = ["Answers", "Applicable", "applicable", "holds", "problems"]


def problems(item: Item) -> list[str]:
    """What is wrong with an item's situations, one sentence each (the console refuses to
    publish a catalogue with any): a ``when`` naming a question or option that does not
    exist, a follow-up that refers to a later question, duplicate codes."""
    out: list[str] = []
    seen: dict[str, set[str]] = {}
    for q in item.questions:
        if q.code in seen:
            out.append(f"item {item.code}: question {q.code} appears twice")
        out += _when_problems(item.code, f"question {q.code}", q.when, seen)
        seen[q.code] = {o.code for o in q.options}
    codes = [m.code for m in item.materials]
    out += [f"item {item.code}: material {c} appears twice" for c in _dupes(codes)]
    out += [
        f"item {item.code}: form {c} appears twice" for c in _dupes([f.code for f in item.forms])
    ]
    for m in item.materials:
        out += _when_problems(item.code, f"material {m.code}", m.when, seen)
    for f in item.forms:
        out += _when_problems(item.code, f"form {f.code}", f.when, seen)
    for i, r in enumerate(item.review_points, 1):
        out += _when_problems(item.code, f"review point {i}", r.when, seen)
    return out


def _when_problems(item: str, what: str, when: When, known: Mapping[str, set[str]]) -> list[str]:
    out = []
    for alt in when:
        for q, o in alt.items():
            if q not in known:
                out.append(f"item {item}: {what} depends on question {q}, which is not before it")
            elif o not in known[q]:
                out.append(f"item {item}: {what} depends on option {o} of {q}, which has none")
    return out


def _dupes(codes: list[str]) -> list[str]:
    return sorted({c for c in codes if codes.count(c) > 1})
