"""Which questions, materials, forms and review points of a guide item apply to a citizen's
answers (办理情形). I/O-free and in ``protocols`` so the agent (the kiosk's item screen, offline)
and the cloud (``fleet.guide``: console preview, printed guide) run the very same rule and can
never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from protocols.guide import Form, Item, Material, Question, ReviewPoint, When

__all__ = ["Answers", "Applicable", "applicable", "holds"]

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
    answers: dict[str, str]
    """The answers that counted (to shown questions, naming one of their options)."""


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
        answers=effective,
    )
