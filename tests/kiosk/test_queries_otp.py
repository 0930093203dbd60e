"""One-time codes: texted to the phone on file (identity platform), good once, 5 tries, 5
minutes, only at the kiosk that asked, one active per person, rate-limited per phone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db.models import utcnow
from cloud.kiosk.queries_tables import KioskOtp
from tests.kiosk.queries_kit import CARD, OTHER, PHONE, QueriesEnv, queries_env


@pytest.fixture
async def env(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[QueriesEnv]:
    async with queries_env(tmp_path, amqtt_url, monkeypatch) as e:
        yield e


async def test_a_code_goes_to_the_phone_on_file_and_grants_a_token(env: QueriesEnv) -> None:
    r = await env.send()
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["phone_masked"] == PHONE[:3] + "****" + PHONE[-4:]
    [text] = env.sms.sent
    assert (text.phone, text.template_id, text.params["minutes"]) == (PHONE, "KF_OTP", "5")
    assert len(text.params["code"]) == 6 and text.params["code"].isdigit()
    got = await env.verify(out["otp_id"], text.params["code"])
    assert got.status_code == 200, got.text
    assert len(got.json()["identity_token"]) >= 32


async def test_nothing_in_clear_at_rest(env: QueriesEnv) -> None:
    sent = (await env.send()).json()
    await env.verify(sent["otp_id"], env.last_code())
    async with env.cloud.parts.sessions() as s:
        row = (await s.scalars(select(KioskOtp))).one()
    stored = " ".join(str(v) for v in row.__dict__.values())
    for secret in (CARD.id_number, CARD.name, PHONE, env.last_code()):
        assert secret not in stored


async def test_a_code_is_good_once(env: QueriesEnv) -> None:
    otp_id = (await env.send()).json()["otp_id"]
    assert (await env.verify(otp_id, env.last_code())).status_code == 200
    again = await env.verify(otp_id, env.last_code())
    assert (again.status_code, again.json()["code"]) == (422, "otp_used")
    assert again.json()["citizen_message"] == "验证码已使用，请重新获取验证码。"


async def test_five_wrong_codes_lock_it_even_for_the_right_one(env: QueriesEnv) -> None:
    otp_id = (await env.send()).json()["otp_id"]
    wrong = "000000" if env.last_code() != "000000" else "111111"
    codes = []
    for _ in range(5):
        r = await env.verify(otp_id, wrong)
        codes.append((r.status_code, r.json()["code"]))
    assert codes == [(422, "otp_wrong")] * 4 + [(422, "otp_locked")]
    right = await env.verify(otp_id, env.last_code())
    assert (right.status_code, right.json()["code"]) == (422, "otp_locked")


async def test_the_wrong_code_says_how_many_tries_are_left(env: QueriesEnv) -> None:
    otp_id = (await env.send()).json()["otp_id"]
    wrong = "000000" if env.last_code() != "000000" else "111111"
    r = await env.verify(otp_id, wrong)
    assert "还可以再试 4 次" in r.json()["citizen_message"]


async def test_an_expired_code_is_refused(env: QueriesEnv) -> None:
    otp_id = (await env.send()).json()["otp_id"]
    later = utcnow() + timedelta(minutes=5, seconds=1)
    env.set_clock(lambda: later)
    r = await env.verify(otp_id, env.last_code())
    assert (r.status_code, r.json()["code"]) == (422, "otp_expired")


async def test_a_code_is_only_good_at_the_kiosk_that_asked(env: QueriesEnv) -> None:
    otp_id = (await env.send()).json()["otp_id"]
    r = await env.verify(otp_id, env.last_code(), env.other_kiosk)
    assert (r.status_code, r.json()["code"]) == (404, "otp_unknown")
    assert (await env.verify(otp_id, env.last_code())).status_code == 200


async def test_a_new_code_supersedes_the_earlier_one(env: QueriesEnv) -> None:
    first = (await env.send()).json()["otp_id"]
    first_code = env.last_code()
    later = utcnow() + timedelta(seconds=61)  # past the per-phone interval
    env.set_clock(lambda: later)
    second = (await env.send()).json()["otp_id"]
    r = await env.verify(first, first_code)
    assert (r.status_code, r.json()["code"]) == (422, "otp_superseded")
    assert (await env.verify(second, env.last_code())).status_code == 200


async def test_codes_to_one_phone_are_rate_limited(env: QueriesEnv) -> None:
    assert (await env.send()).status_code == 201
    r = await env.send()
    assert (r.status_code, r.json()["code"]) == (429, "otp_rate_limited")
    assert r.json()["citizen_message"] == "验证码发送过于频繁，请 1 分钟后再试。"
    assert len(env.sms.sent) == 1
    start = utcnow()
    for minute in range(1, 5):  # five an hour: four more, a minute apart
        env.set_clock(lambda m=minute: start + timedelta(minutes=m, seconds=1))
        assert (await env.send()).status_code == 201
    env.set_clock(lambda: start + timedelta(minutes=10))
    r = await env.send()
    assert (r.status_code, r.json()["code"]) == (429, "otp_rate_limited")
    assert len(env.sms.sent) == 5


async def test_a_wrong_check_digit_is_refused_before_any_call(env: QueriesEnv) -> None:
    bad = CARD.id_number[:17] + ("0" if CARD.id_number[17] != "0" else "1")
    r = await env.kiosk.post(
        "/api/v1/kiosk/identity/otp", json={"id_number": bad, "name": CARD.name}
    )
    assert (r.status_code, r.json()["code"]) == (422, "id_number_invalid")
    assert env.identity.requests == [] and env.sms.sent == []


async def test_a_name_that_does_not_match_the_card_is_refused(env: QueriesEnv) -> None:
    body = {"id_number": CARD.id_number, "name": OTHER.name}
    r = await env.kiosk.post("/api/v1/kiosk/identity/otp", json=body)
    assert (r.status_code, r.json()["code"]) == (422, "identity_not_on_file")
    assert "不一致" in r.json()["citizen_message"] and env.sms.sent == []


async def test_the_identity_platform_down_is_a_citizen_sentence(env: QueriesEnv) -> None:
    env.identity.fail_next(1)
    r = await env.send()
    assert (r.status_code, r.json()["code"]) == (503, "identity_unavailable")
    assert r.json()["citizen_message_en"].startswith("The identity check is not available")


async def test_a_text_that_cannot_be_sent_says_so_and_the_code_is_dead(env: QueriesEnv) -> None:
    env.sms.fail_next(1, 500)
    r = await env.send()
    assert (r.status_code, r.json()["code"]) == (503, "otp_not_sent")
    async with env.cloud.parts.sessions() as s:
        [row] = (await s.scalars(select(KioskOtp))).all()
    assert row.state == "unsent"
    r = await env.verify(row.id, "123456")
    assert (r.status_code, r.json()["code"]) == (404, "otp_unknown")


async def test_only_a_device_may_ask_for_a_code(env: QueriesEnv) -> None:
    anonymous = await env.cloud.client()
    r = await anonymous.post(
        "/api/v1/kiosk/identity/otp", json={"id_number": CARD.id_number, "name": CARD.name}
    )
    assert r.status_code == 401
