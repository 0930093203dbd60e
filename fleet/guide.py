"""Which questions, materials, forms and review points of an item apply to a citizen's answers
(办理情形). I/O-free: the kiosk, the console preview and the printed guide all call this, so
they can never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from protocols.guide import Form, Item, Material, Question, ReviewPoint, When

Answers = Mapping[str, str]  # question code → option code


def holds(when: When, answers: Answers) -> bool:
    """``when`` holds: it is empty, or one of its alternatives is fully answered as stated."""
    return not when or any(all(answers.get(q) == o for q, o in alt.items()) for alt in when)


@dataclass(frozen=True)
class Applicable:
    """What applies to one set of answers, in the catalogue's order."""

    questions: list[Question]
    """The questions to show now (follow-ups appear once their condition is answered)."""
    unanswered: list[str]
    """Codes of shown questions without an answer yet: the list is not final until empty."""
    materials: list[Material]
    forms: list[Form]
    review_points: list[ReviewPoint]


def applicable(item: Item, answers: Answers) -> Applicable:
    """The item's situation for ``answers``; answers to questions not shown are ignored (a
    changed earlier answer can hide a follow-up, and its old answer must not count)."""
    shown: list[Question] = []
    effective: dict[str, str] = {}
    for q in item.questions:  # in order: a follow-up refers to questions before it
        if holds(q.when, effective):
            shown.append(q)
            answer = answers.get(q.code)
            if answer is not None and any(o.code == answer for o in q.options):
                effective[q.code] = answer
    return Applicable(
        questions=shown,
        unanswered=[q.code for q in shown if q.code not in effective],
        materials=[m for m in item.materials if holds(m.when, effective)],
        forms=[f for f in item.forms if holds(f.when, effective)],
        review_points=[r for r in item.review_points if holds(r.when, effective)],
    )


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
