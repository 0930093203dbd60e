"""Our adapter against the city 政务服务平台 simulator: success, paging, each refusal and
fault becomes one error with a citizen sentence, and nothing waits longer than the timeout."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import cast

import httpx
import pytest

from cloud.kiosk.city_platform import DETAIL_PATH, CityPlatform
from cloud.kiosk.city_platform_errors import (
    CaseNotFound,
    CaseRefused,
    CityPlatformAuthFailed,
    CityPlatformBadAnswer,
    CityPlatformMaintenance,
    CityPlatformTimeout,
    CityPlatformUnavailable,
)
from simulators import city_platform
from simulators.city_platform import CityPlatformSim
from tests.kiosk.city_kit import CAIRANG, MA, WANG, sim_and_adapter


async def test_a_persons_cases_come_with_their_timelines() -> None:
    async with sim_and_adapter() as (_sim, platform):
        page = await platform.cases_of(WANG[0], 1, 10)
    assert (page.total, page.page, page.pages) == (3, 1, 1)
    by_item = {c.item: c for c in page.cases}
    review = by_item["退役军人待遇申领"]
    assert (review.status, review.status_name, review.applicant) == ("SL", "受理", "王晓明")
    assert review.finished_at is None and review.promised_at is not None
    more = by_item["户口迁移（迁入）"]
    assert [s.name for s in more.steps] == ["受理", "补正"]
    assert "房屋产权证明" in more.steps[-1].opinion
    done = by_item["灵活就业人员社会保险登记"]
    assert [s.code for s in done.steps] == ["SL", "SC", "JD", "BJ", "SD"]
    assert all(s.at is not None and s.at.tzinfo is not None for s in done.steps)
    assert done.finished_at is not None
    accepted = [c.accepted_at for c in page.cases]
    assert accepted == sorted(accepted, reverse=True)  # type: ignore[type-var]


async def test_paging_walks_every_case_once() -> None:
    async with sim_and_adapter() as (_sim, platform):
        first = await platform.cases_of(MA[0], 1, 10)
        second = await platform.cases_of(MA[0], 2, 10)
    assert (first.total, first.pages, len(first.cases)) == (12, 2, 10)
    assert (second.page, len(second.cases)) == (2, 2)
    numbers = [c.case_no for c in first.cases + second.cases]
    assert len(set(numbers)) == 12


async def test_one_case_by_its_number_and_an_unknown_number() -> None:
    async with sim_and_adapter() as (sim, platform):
        wanted = next(c for c in sim.cases_of(CAIRANG[0]) if not c["secret"])["caseNo"]
        case = await platform.case(wanted)
        with pytest.raises(CaseNotFound) as err:
            await platform.case("GEM209901010001")
    assert case.case_no == wanted and case.steps
    assert err.value.status_code == 404 and "编号" in err.value.citizen[0]


async def test_a_classified_case_is_refused_with_the_platforms_own_code() -> None:
    async with sim_and_adapter() as (sim, platform):
        secret = next(c for c in sim.cases if c["secret"])["caseNo"]
        with pytest.raises(CaseRefused) as err:
            await platform.case(secret)
        listed = await platform.cases_of(CAIRANG[0], 1, 10)
    assert err.value.reason == "20003" and "窗口" in err.value.citizen[0]
    hidden = next(c for c in listed.cases if c.case_no == secret)
    assert hidden.steps == [] and "兵役" not in hidden.item


async def test_a_wrong_secret_or_app_is_an_auth_failure() -> None:
    async with sim_and_adapter(secret="wrong-secret") as (sim, platform):
        with pytest.raises(CityPlatformAuthFailed) as err:
            await platform.cases_of(WANG[0], 1, 10)
        assert sim.requests[-1][1:] == (401, "10002")
    assert "SECRET" in str(err.value) and "窗口" in err.value.citizen[0]
    async with sim_and_adapter(app_id="not-ours") as (sim, platform):
        with pytest.raises(CityPlatformAuthFailed):
            await platform.case("GEM209901010001")
        assert sim.requests[-1][1:] == (401, "10001")


async def test_a_replayed_or_stale_request_is_refused() -> None:
    async with sim_and_adapter() as (sim, platform):
        body = b'{"caseNo": "GEM209901010001"}'
        headers = platform.headers(DETAIL_PATH, body)
        async with httpx.AsyncClient() as http:
            once = await http.post(sim.url + DETAIL_PATH, content=body, headers=headers)
            again = await http.post(sim.url + DETAIL_PATH, content=body, headers=headers)
            stale = platform.headers(DETAIL_PATH, body)
            stale["X-Gov-Timestamp"] = str(int(time.time() * 1000) - 6 * 60 * 1000)
            old = await http.post(sim.url + DETAIL_PATH, content=body, headers=stale)
    assert once.json()["code"] == "20001"
    assert (again.status_code, again.json()["code"]) == (401, "10004")
    assert (old.status_code, old.json()["code"]) == (401, "10003")


async def test_a_stalled_platform_is_a_timeout_within_the_bound() -> None:
    async with sim_and_adapter(timeout_s=0.3) as (sim, platform):
        # the platform answers after 3 s; the adapter's 0.3 s bound must end the call well
        # before that (a 1.5 s stall left a loaded machine 0.9 s to schedule the timeout)
        sim.stall_s = 3.0
        started = time.monotonic()
        with pytest.raises(CityPlatformTimeout) as err:
            await platform.cases_of(WANG[0], 1, 10)
        took = time.monotonic() - started
        sim.stall_s = 0
    assert took < 2.5, took
    assert err.value.status_code == 504 and "没有响应" in err.value.citizen[0]


async def test_maintenance_says_until_when() -> None:
    async with sim_and_adapter() as (sim, platform):
        sim.maintenance_until = datetime.now(UTC) + timedelta(hours=1)
        with pytest.raises(CityPlatformMaintenance) as err:
            await platform.case("GEM209901010001")
    assert err.value.until is not None and err.value.status_code == 503
    assert "维护" in err.value.citizen[0] and "恢复" in err.value.citizen[0]


async def test_a_malformed_answer_is_a_bad_answer() -> None:
    async with sim_and_adapter() as (sim, platform):
        sim.malformed = True
        with pytest.raises(CityPlatformBadAnswer) as err:
            await platform.cases_of(WANG[0], 1, 10)
    assert err.value.status_code == 502 and "有误" in err.value.citizen[0]


async def test_a_5xx_is_unavailable_and_the_next_call_works() -> None:
    async with sim_and_adapter() as (sim, platform):
        sim.fail_next(1, 500)
        with pytest.raises(CityPlatformUnavailable):
            await platform.cases_of(WANG[0], 1, 10)
        assert (await platform.cases_of(WANG[0], 1, 10)).total == 3


async def test_nothing_listening_is_unavailable() -> None:
    async with sim_and_adapter() as (sim, _):
        url = sim.url
    platform = CityPlatform(url, "a", "b", timeout_s=1.0)
    try:
        with pytest.raises(CityPlatformUnavailable):
            await platform.case("GEM209901010001")
    finally:
        await platform.close()


def test_the_platforms_today_is_golmuds_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 17:00 UTC it is already 01:00 the next day in Golmud: the seeded cases date from there."""

    class LateEvening(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> LateEvening:
            moment = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
            return cast(LateEvening, moment.astimezone(tz))

    monkeypatch.setattr(city_platform, "datetime", LateEvening)
    assert CityPlatformSim().today == date(2026, 12, 8)
