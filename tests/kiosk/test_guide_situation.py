"""The situation rule (办理情形) shared by the kiosk's agent and the cloud: ``when`` is a list of
alternatives, each a conjunction; follow-ups appear only once their condition is answered; an
answer to a hidden question or naming no option of its question does not count."""

from __future__ import annotations

import fleet.guide
from protocols import guide_situation
from protocols.guide_situation import applicable, holds
from tests.kiosk.guide_agent_kit import fund_withdrawal


def test_fleet_runs_the_very_same_rule() -> None:
    assert fleet.guide.applicable is guide_situation.applicable
    assert fleet.guide.holds is guide_situation.holds


def test_when_is_alternatives_of_conjunctions() -> None:
    when = [{"a": "1", "b": "2"}, {"c": "3"}]
    assert holds([], {})
    assert holds(when, {"a": "1", "b": "2"}) and holds(when, {"c": "3"})
    assert not holds(when, {"a": "1"}) and not holds(when, {"a": "1", "b": "9"})


def test_follow_up_shown_only_once_its_condition_is_answered() -> None:
    item = fund_withdrawal()
    assert [q.code for q in applicable(item, {}).questions] == ["reason"]
    a = applicable(item, {"reason": "buy"})
    assert [q.code for q in a.questions] == ["reason", "loan"] and a.unanswered == ["loan"]
    done = applicable(item, {"reason": "buy", "loan": "yes"})
    assert done.unanswered == [] and [m.code for m in done.materials] == [
        "id",
        "contract",
        "loan_contract",
    ]


def test_answers_that_do_not_count_are_dropped() -> None:
    item = fund_withdrawal()
    a = applicable(item, {"reason": "rent", "loan": "yes"})  # loan is hidden when renting
    assert a.answers == {"reason": "rent"} and [m.code for m in a.materials] == ["id", "lease"]
    b = applicable(item, {"reason": "steal"})  # no such option
    assert b.answers == {} and b.unanswered == ["reason"]
    assert [r.text for r in applicable(item, {}).review_points] == ["核对购房合同备案号"]
