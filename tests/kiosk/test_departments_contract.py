"""The contract every department adapter keeps, run against each department's simulator: a
success, paging, our credentials refused, a timeout, a maintenance window, a malformed answer
and a refusal in the department's own code — each failure one error with a citizen sentence,
none hanging past the endpoint's ``timeout_s``."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from cloud.kiosk.departments.base import (
    DepartmentAuthFailed,
    DepartmentBadAnswer,
    DepartmentError,
    DepartmentMaintenance,
    DepartmentRefused,
    DepartmentTimeout,
    DepartmentUnavailable,
)
from tests.kiosk.departments_kit import CASES, running

CODES = sorted(CASES)
BEIJING = timezone(timedelta(hours=8))


def assert_citizen_sentence(err: DepartmentError, *secrets: str) -> None:
    zh, en = err.citizen
    assert zh and en and zh != en
    for secret in secrets:
        assert secret not in zh + en + str(err), "a citizen's data leaked into an error"


@pytest.mark.parametrize("code", CODES)
async def test_success(code: str) -> None:
    operation, person, inputs = CASES[code].success
    async with running(code) as (sim, adapter):
        result = await adapter.query(operation, person, inputs, 1, 10)
    assert result.rows and result.total >= len(result.rows)
    assert all(any(row.values()) for row in result.rows)
    assert result.as_of is not None
    assert sim.answers[-1][1] == 200


@pytest.mark.parametrize("code", CODES)
async def test_paging_walks_every_row_once(code: str) -> None:
    case = CASES[code]
    operation, person, inputs = case.paging
    size = max(2, case.paging_total // 4)
    while case.paging_total % size == 0:  # a last page that is not full
        size += 1
    seen: list[tuple[str, ...]] = []
    async with running(code) as (_sim, adapter):
        first = await adapter.query(operation, person, inputs, 1, size)
        assert first.total == case.paging_total
        assert first.pages == -(-case.paging_total // size) and first.pages > 1
        for page in range(1, first.pages + 1):
            result = await adapter.query(operation, person, inputs, page, size)
            assert result.page == page and len(result.rows) <= size
            seen.extend(tuple(row.values()) for row in result.rows)
    assert len(seen) == case.paging_total
    assert len(set(seen)) == len(seen), "a row came twice across pages"


@pytest.mark.parametrize("code", CODES)
async def test_our_credentials_refused(code: str) -> None:
    operation, person, inputs = CASES[code].success
    async with running(code, secret="not-the-secret") as (sim, adapter):
        with pytest.raises(DepartmentAuthFailed) as caught:
            await adapter.query(operation, person, inputs, 1, 10)
    assert any(status == 401 for _path, status in sim.answers) or sim.auth == "token"
    assert_citizen_sentence(caught.value, *(person.id_number, person.name) if person else ())


@pytest.mark.parametrize("code", CODES)
async def test_a_stalled_department_is_a_timeout_within_the_bound(code: str) -> None:
    operation, person, inputs = CASES[code].success
    async with running(code, timeout_s=0.5) as (sim, adapter):
        sim.faults.stall_s = 30.0
        started = time.monotonic()
        with pytest.raises(DepartmentTimeout) as caught:
            await adapter.query(operation, person, inputs, 1, 10)
        took = time.monotonic() - started
    # well before the 30 s stall ends (2 s left a loaded machine 1.5 s to schedule the timeout)
    assert 0.4 <= took < 10.0, f"the call took {took:.2f} s against a 0.5 s bound"
    assert_citizen_sentence(caught.value)


@pytest.mark.parametrize("code", CODES)
async def test_maintenance_window_says_until_when(code: str) -> None:
    operation, person, inputs = CASES[code].success
    until = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    async with running(code) as (sim, adapter):
        sim.faults.maintenance_until = until
        with pytest.raises(DepartmentMaintenance) as caught:
            await adapter.query(operation, person, inputs, 1, 10)
    err = caught.value
    assert err.until is not None and abs((err.until - until).total_seconds()) < 60
    beijing = until.astimezone(BEIJING)
    assert f"{beijing:%H}:" in err.citizen[0], err.citizen[0]
    assert_citizen_sentence(err)


@pytest.mark.parametrize("code", CODES)
async def test_a_malformed_answer_is_a_bad_answer(code: str) -> None:
    operation, person, inputs = CASES[code].success
    async with running(code) as (sim, adapter):
        sim.faults.malformed = True
        with pytest.raises(DepartmentBadAnswer) as caught:
            await adapter.query(operation, person, inputs, 1, 10)
    assert_citizen_sentence(caught.value)


@pytest.mark.parametrize("code", CODES)
async def test_a_refusal_carries_the_departments_own_code(code: str) -> None:
    case = CASES[code]
    operation, person, inputs = case.refusal
    async with running(code) as (_sim, adapter):
        with pytest.raises(DepartmentRefused) as caught:
            await adapter.query(operation, person, inputs, 1, 10)
    err = caught.value
    assert err.reason == case.reason
    assert err.citizen == case.module.REFUSALS[case.reason], "not the department's own sentence"
    assert_citizen_sentence(err, *(person.id_number, person.name) if person else ())


@pytest.mark.parametrize("status", [502, 429])
@pytest.mark.parametrize("code", CODES)
async def test_a_gateway_error_is_try_later(code: str, status: int) -> None:
    operation, person, inputs = CASES[code].success
    async with running(code) as (sim, adapter):
        sim.faults.fail_status, sim.faults.fail_count = status, 1
        with pytest.raises(DepartmentUnavailable) as caught:
            await adapter.query(operation, person, inputs, 1, 10)
        assert (await adapter.query(operation, person, inputs, 1, 10)).rows  # the next one works
    assert_citizen_sentence(caught.value)
