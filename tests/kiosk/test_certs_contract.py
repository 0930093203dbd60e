"""The certificates' department operations and the 电子证照库 adapter against their simulators:
each certificate's record for a holder who has one, the department's own refusal for one who
has not, and the library's report (idempotent by number) and listing, with each fault a
library can have — a stall cut off within the bound, maintenance with its end, our signature
refused, a gateway's HTML page — mapped to the error the kiosk shows."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from cloud.kiosk.certs_decl import CERTIFICATES, CertDecl
from cloud.kiosk.departments.base import (
    DepartmentAuthFailed,
    DepartmentBadAnswer,
    DepartmentMaintenance,
    DepartmentRefused,
    DepartmentTimeout,
    Person,
)
from cloud.kiosk.license_library import HttpLicenseLibrary, Reported
from cloud.settings_kiosk import DepartmentEndpoint
from simulators.dept_people import CAIRANG, LI_GUIYING, WANG_XIAOMING, ZHANG_JIANHUA
from simulators.license_library import LicenseLibrarySim
from tests.kiosk.departments_kit import running

WANG = Person(WANG_XIAOMING.id_number, WANG_XIAOMING.name)
CAI = Person(CAIRANG.id_number, CAIRANG.name)
ZHANG = Person(ZHANG_JIANHUA.id_number, ZHANG_JIANHUA.name)
LI = Person(LI_GUIYING.id_number, LI_GUIYING.name)
#: kind → (a holder, a person the department refuses, its code for that)
HOLDERS = {
    "pension_voucher": (WANG, LI, "E2004"),
    "startup_cert": (ZHANG, WANG, "E2004"),
    "no_housing": (CAI, WANG, "BDC-410"),
    "hpf_remote_loan": (WANG, CAI, "GJJ404"),
}


@pytest.mark.parametrize("decl", CERTIFICATES, ids=lambda c: c.kind)
async def test_each_certificate_answers_its_facts_or_the_departments_refusal(
    decl: CertDecl,
) -> None:
    kind = decl.kind
    holder, refused, reason = HOLDERS[kind]
    async with running(decl.department) as (_sim, adapter):
        got = await adapter.query(decl.operation, holder, {}, 1, 1)
        [row] = got.rows
        keys = {f.key for f in decl.fields}
        assert keys - {"name", "id_number"} <= {k for k, v in row.items() if v}, row
        with pytest.raises(DepartmentRefused) as err:
            await adapter.query(decl.operation, refused, {}, 1, 1)
        assert err.value.reason == reason and err.value.citizen[0]


def _reported(number: str, holder: Person = WANG) -> Reported:
    return Reported(
        "pension_voucher",
        "企业职工养老保险缴费凭证",
        number,
        holder,
        "社保中心",
        "2026-12-07",
        "ab" * 32,
    )


def _library(
    sim: LicenseLibrarySim, secret: str = "s", timeout_s: float = 10.0
) -> HttpLicenseLibrary:
    """A client; its timeout is generous (the simulator answers from this loop, which load can
    stall past 0.5 s) except where a stall is the case."""
    endpoint = DepartmentEndpoint(url=sim.url, app_id="a", secret=secret, timeout_s=timeout_s)  # type: ignore[arg-type]
    return HttpLicenseLibrary(endpoint)


async def test_a_report_is_idempotent_and_listed() -> None:
    async with LicenseLibrarySim(app_id="a", secret="s") as sim:
        library = _library(sim)
        try:
            first = await library.report(_reported("ZM20261207-AAAAAAAA"))
            again = await library.report(_reported("ZM20261207-AAAAAAAA"))
            assert first == again and len(sim.reported) == 1
            licences, total, pages = await library.licences(WANG, 1)
            assert total == 5 and pages == 1
            assert licences[-1].number == "ZM20261207-AAAAAAAA"
            with pytest.raises(DepartmentRefused) as err:
                await library.report(_reported("ZM20261207-AAAAAAAA", CAI))  # another holder
            assert err.value.reason == "DZ409"
        finally:
            await library.close()


async def test_library_faults_are_the_errors_the_kiosk_shows() -> None:
    async with LicenseLibrarySim(app_id="a", secret="s") as sim:
        wrong = _library(sim, secret="not-ours")
        with pytest.raises(DepartmentAuthFailed):
            await wrong.licences(WANG, 1)
        await wrong.close()
        library, hasty = _library(sim), _library(sim, timeout_s=0.5)
        try:
            sim.faults.malformed = True
            with pytest.raises(DepartmentBadAnswer):
                await library.licences(WANG, 1)
            sim.faults.malformed = False
            until = datetime.now(UTC) + timedelta(hours=1)
            sim.faults.maintenance_until = until
            with pytest.raises(DepartmentMaintenance) as maint:
                await library.report(_reported("ZM20261207-BBBBBBBB"))
            assert maint.value.until is not None and abs(maint.value.until - until) < timedelta(
                seconds=1
            )
            sim.faults.maintenance_until = None
            sim.faults.stall_s = 5
            started = time.monotonic()
            with pytest.raises(DepartmentTimeout):
                await hasty.licences(WANG, 1)
            assert time.monotonic() - started < 4  # before the 5 s stall ends, with room for load
        finally:
            await library.close()
            await hasty.close()
