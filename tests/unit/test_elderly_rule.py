"""The 高龄补贴 age rule (protocols/elderly.py) at its edges, the certification's randomised
actions, and the challenge that binds a certification to one kiosk, one card, one use."""

from __future__ import annotations

import itertools
import time
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from cloud.kiosk.elderly_cert import (
    CHALLENGE_TTL_S,
    CertService,
    ChallengeRefused,
    random_actions,
)
from cloud.kiosk.face_verify import FaceAnswer
from protocols.elderly import age_on, eligibility
from protocols.idcard.text import id_check_digit


def number(birth: date) -> str:
    first17 = f"632801{birth:%Y%m%d}032"
    return first17 + id_check_digit(first17)


def test_seventy_on_the_birthday_and_not_the_day_before() -> None:
    birth = date(1956, 12, 7)
    assert eligibility(number(birth), date(2026, 12, 7)).eligible
    refused = eligibility(number(birth), date(2026, 12, 6))
    assert not refused.eligible and refused.age == 69
    assert "您今年69周岁" in refused.reason and "2026年12月7日" in refused.reason
    assert "2026-12-07" in refused.reason_en


def test_a_leap_day_birthday_counts_from_the_first_of_march() -> None:
    birth = date(1956, 2, 29)
    assert age_on(birth, date(2026, 2, 28)) == 69
    assert age_on(birth, date(2026, 3, 1)) == 70
    assert "2026年3月1日" in eligibility(number(birth), date(2026, 2, 28)).reason


def test_tiers() -> None:
    assert eligibility(number(date(1940, 3, 15)), date(2026, 12, 7)).tier == "80-89周岁"
    assert eligibility(number(date(1920, 1, 1)), date(2026, 12, 7)).tier == "100周岁以上"


def test_an_invalid_number_is_no_age() -> None:
    with pytest.raises(ValueError):
        eligibility("632801195612070321", date(2026, 12, 7))


def test_actions_never_repeat_back_to_back() -> None:
    picks = iter([0, 0, 0, 1, 1, 2])
    assert random_actions(3, lambda _n: next(picks)) == ["blink", "mouth", "left"]
    for _ in range(200):
        got = random_actions(4)
        assert all(a != b for a, b in itertools.pairwise(got))


class Verifier:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def verify(self, id_number: str, name: str, clip: bytes, actions: list[str]) -> Any:
        self.calls.append(actions)
        return FaceAnswer("mismatch", 40.0)

    async def close(self) -> None:
        return None


def service(verifier: Verifier) -> CertService:
    elderly: Any = SimpleNamespace(today=lambda: date(2026, 12, 7))
    return CertService(elderly, verifier, "secret", 3)


ME: Any = SimpleNamespace(name="hhl-kiosk-01")
OTHER: Any = SimpleNamespace(name="hhl-kiosk-02")
LI = ("632801194003150328", "李桂英")


async def test_a_challenge_is_for_one_kiosk_one_card_one_use() -> None:
    v = Verifier()
    cert = service(v)
    c = cert.start(ME, *LI)
    with pytest.raises(ChallengeRefused):
        await cert.verify(OTHER, c.token, *LI, b"clip")
    with pytest.raises(ChallengeRefused):
        await cert.verify(ME, c.token, "632801196511030241", "马秀兰", b"clip")
    got = await cert.verify(ME, c.token, *LI, b"clip")
    assert got.result == "mismatch" and v.calls == [c.actions]
    with pytest.raises(ChallengeRefused):
        await cert.verify(ME, c.token, *LI, b"clip")
    forged = c.token[:-1] + ("0" if c.token[-1] != "0" else "1")
    with pytest.raises(ChallengeRefused):
        await cert.verify(ME, forged, *LI, b"clip")


async def test_an_expired_challenge_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    cert = service(Verifier())
    c = cert.start(ME, *LI)
    later = time.time() + CHALLENGE_TTL_S + 1
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(ChallengeRefused, match="expired"):
        await cert.verify(ME, c.token, *LI, b"clip")


def test_a_challenge_is_not_issued_under_70() -> None:
    from cloud.kiosk.elderly import ElderlyNotEligible

    with pytest.raises(ElderlyNotEligible):
        service(Verifier()).start(ME, number(date(1956, 12, 8)), "赵秀英")
