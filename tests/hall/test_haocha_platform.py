"""The provincial platform's contract, spoken by our client over loopback HTTP: signatures,
freshness and replay checks, idempotency on our id, and refusals with a code."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from cloud.hall.haocha.client import RATINGS_PATH, HttpHaochaPlatform
from cloud.hall.haocha.platform import Accepted, Refused, Submission, Unavailable
from simulators.haocha_platform import HaochaPlatform

RATING = Submission(
    source_id="kfleet-1",
    site_code="qh/hx/golmud/hhl",
    site_name="黄河路街道办事处",
    window_no="3",
    staff_no="S101",
    service_code="HUKOU",
    case_no="CASE-1",
    level=2,
    reasons=["wait_long"],
    comment="等了很久",
    channel="window",
    rated_at=datetime.now(UTC),
    ticket_no="A012",
)


async def test_accepted_and_stored_as_sent() -> None:
    async with HaochaPlatform() as p, asyncio.timeout(10):
        c = HttpHaochaPlatform(p.url, "sim-app", "sim-secret", 2.0)
        got = await c.submit(RATING)
        found = await c.lookup("kfleet-1")
        await c.aclose()
    assert isinstance(got, Accepted) and got.ref.startswith("HC") and not got.duplicate
    assert found is not None and found["ratingId"] == got.ref
    assert (found["level"], found["reasons"], found["caseNo"]) == (2, ["wait_long"], "CASE-1")
    assert found["channel"] == "window" and found["siteCode"] == "qh/hx/golmud/hhl"


async def test_a_resend_gets_the_same_platform_id_and_is_stored_once() -> None:
    async with HaochaPlatform() as p, asyncio.timeout(10):
        c = HttpHaochaPlatform(p.url, "sim-app", "sim-secret", 2.0)
        first = await c.submit(RATING)
        again = await c.submit(RATING)
        other = await c.submit(replace(RATING, source_id="kfleet-2"))
        await c.aclose()
    assert isinstance(first, Accepted) and isinstance(again, Accepted)
    assert again.ref == first.ref and again.duplicate
    assert isinstance(other, Accepted) and other.ref != first.ref
    assert sorted(p.ratings) == ["kfleet-1", "kfleet-2"] and p.submits["kfleet-1"] == 2


async def test_a_wrong_secret_is_refused_and_nothing_stored() -> None:
    """401 is our configuration's fault, not the rating's: the rating must wait (Unavailable,
    flagged auth) rather than be marked refused for good."""
    async with HaochaPlatform() as p, asyncio.timeout(10):
        c = HttpHaochaPlatform(p.url, "sim-app", "not-the-secret", 2.0)
        got = await c.submit(RATING)
        await c.aclose()
    assert isinstance(got, Unavailable) and got.auth
    assert "BadSignature" in got.reason and "KFLEET_HAOCHA" in got.reason
    assert p.ratings == {} and p.answers == [(401, "BadSignature")]


async def test_a_tampered_body_fails_the_signature() -> None:
    async with HaochaPlatform() as p, httpx.AsyncClient() as http, asyncio.timeout(10):
        c = HttpHaochaPlatform(p.url, "sim-app", "sim-secret")
        body = b'{"sourceId": "x"}'
        headers = c.headers("POST", RATINGS_PATH, body)
        r = await http.post(p.url + RATINGS_PATH, content=b'{"sourceId": "y"}', headers=headers)
        headers = c.headers("POST", RATINGS_PATH, body)
        untouched = await http.post(p.url + RATINGS_PATH, content=body, headers=headers)
        await c.aclose()
    assert r.status_code == 401 and r.json()["code"] == "BadSignature"
    assert untouched.status_code == 400, "the signature of the body as signed was refused"


async def test_a_replayed_request_and_a_stale_timestamp_are_refused() -> None:
    async with HaochaPlatform() as p, httpx.AsyncClient() as http, asyncio.timeout(10):
        c = HttpHaochaPlatform(p.url, "sim-app", "sim-secret")
        body = b"{}"
        headers = c.headers("POST", RATINGS_PATH, body)
        first = await http.post(p.url + RATINGS_PATH, content=body, headers=headers)
        replay = await http.post(p.url + RATINGS_PATH, content=body, headers=headers)
        old = c.headers("POST", RATINGS_PATH, body)
        old["X-Timestamp"] = str(int(old["X-Timestamp"]) - 600)
        stale = await http.post(p.url + RATINGS_PATH, content=body, headers=old)
        await c.aclose()
    assert (first.status_code, first.json()["code"]) == (400, "MissingField")
    assert (replay.status_code, replay.json()["code"]) == (401, "ReplayedNonce")
    assert (stale.status_code, stale.json()["code"]) == (401, "StaleTimestamp")


async def test_invalid_ratings_are_refused_with_a_code() -> None:
    cases = {
        "ReasonRequired": replace(RATING, level=1, reasons=[]),
        "InvalidLevel": replace(RATING, level=6),
        "InvalidChannel": replace(RATING, channel="fax"),
        "TooOld": replace(RATING, rated_at=datetime.now(UTC) - timedelta(days=91)),
        "MissingField": replace(RATING, site_code=""),
    }
    async with HaochaPlatform() as p, asyncio.timeout(10):
        c = HttpHaochaPlatform(p.url, "sim-app", "sim-secret", 2.0)
        got = {code: await c.submit(r) for code, r in cases.items()}
        await c.aclose()
    for code, outcome in got.items():
        assert isinstance(outcome, Refused) and outcome.code == code, (code, outcome)
    assert p.ratings == {}


async def test_faults_become_unavailable_with_retry_after() -> None:
    async with HaochaPlatform() as p, asyncio.timeout(20):
        p.faults.hang_s = 30.0  # until the client gives up
        p.fail_next("error", "rate_limit", "drop", "hang")
        c = HttpHaochaPlatform(p.url, "sim-app", "sim-secret", 2.0)
        got = [await c.submit(replace(RATING, source_id=f"kfleet-{i}")) for i in range(4)]
        await c.aclose()
    assert all(isinstance(g, Unavailable) and not g.auth for g in got), got
    error, limited, dropped, hung = got
    assert isinstance(limited, Unavailable) and limited.retry_after_s == 1
    assert isinstance(error, Unavailable) and "503" in error.reason
    assert isinstance(hung, Unavailable) and "within 2 s" in hung.reason
    assert isinstance(dropped, Unavailable) and "unreachable" in dropped.reason
    assert p.faults_met == ["error", "rate_limit", "drop", "hang"]
