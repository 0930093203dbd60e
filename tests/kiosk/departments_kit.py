"""Each department's simulator and adapter side by side, with a case of each kind the contract
tests need (a success, a list long enough to page, a refusal in the department's own code),
and an example that answers for every declared query."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import ModuleType

from cloud.kiosk.departments import bus, civil, edu, hpf, hrss, medical, police, realestate
from cloud.kiosk.departments.base import Department, Person
from cloud.settings_kiosk import DepartmentEndpoint
from simulators.dept_bus import BusDepartment
from simulators.dept_civil import CivilDepartment
from simulators.dept_common import DeptSimulator
from simulators.dept_edu import EduDepartment
from simulators.dept_hpf import HpfDepartment
from simulators.dept_hrss import HrssDepartment
from simulators.dept_medical import MedicalDepartment
from simulators.dept_people import (
    CAIRANG,
    LI_GUIYING,
    MA_LI,
    MA_XIULAN,
    WANG_XIAOMING,
    ZHANG_JIANHUA,
)
from simulators.dept_police import PoliceDepartment
from simulators.dept_realestate import RealEstateDepartment


def person(c: object) -> Person:
    return Person(c.id_number, c.name)  # type: ignore[attr-defined]


WANG, MA, CAI, LI, ZHANG, MALI = (
    person(c) for c in (WANG_XIAOMING, MA_XIULAN, CAIRANG, LI_GUIYING, ZHANG_JIANHUA, MA_LI)
)
Call = tuple[str, Person | None, dict[str, str]]


@dataclass(frozen=True)
class Case:
    sim: type[DeptSimulator]
    module: ModuleType
    #: an operation that answers rows
    success: Call
    #: a list of several rows, and how many it has
    paging: Call
    paging_total: int
    #: a call the department refuses, and its own code for that
    refusal: Call
    reason: str


CASES = {
    "edu": Case(
        EduDepartment,
        edu,
        ("degrees", WANG, {}),
        ("degrees", WANG, {}),
        3,
        ("teacher_certs", WANG, {}),
        "40401",
    ),
    "hrss": Case(
        HrssDepartment,
        hrss,
        ("qualifications", WANG, {}),
        ("contributions", WANG, {}),
        197,
        ("pension", WANG, {}),
        "E2004",
    ),
    "police": Case(
        PoliceDepartment,
        police,
        ("household", WANG, {}),
        ("idcard_progress", WANG, {}),
        4,
        ("violations", None, {"plate": "青HA1234", "engine_tail": "000000"}),
        "P422",
    ),
    "medical": Case(
        MedicalDepartment,
        medical,
        ("balance", WANG, {}),
        ("payments", WANG, {}),
        198,
        ("balance", CAI, {}),
        "NO_INSU",
    ),
    "realestate": Case(
        RealEstateDepartment,
        realestate,
        ("rights", WANG, {}),
        ("cases", WANG, {}),
        3,
        ("rights", CAI, {}),
        "BDC-404",
    ),
    "civil": Case(
        CivilDepartment,
        civil,
        ("marriage", WANG, {}),
        ("allowance", LI, {}),
        83,
        ("dibao", WANG, {}),
        "404",
    ),
    "hpf": Case(
        HpfDepartment,
        hpf,
        ("deposits", WANG, {}),
        ("deposits", WANG, {}),
        197,
        ("deposits", CAI, {}),
        "GJJ404",
    ),
    "bus": Case(
        BusDepartment,
        bus,
        ("lines", None, {"keyword": "火车站"}),
        ("card_trades", None, {"card_no": "31000012345678"}),
        37,
        ("card_trades", None, {"card_no": "31000087654321"}),
        "2002",
    ),
}

#: a call that answers for every declared query (query code → person, inputs)
EXAMPLES: dict[str, tuple[Person | None, dict[str, str]]] = {
    "edu_degree": (WANG, {}),
    "edu_gaokao": (CAI, {"year": "2022"}),
    "edu_teacher_cert": (ZHANG, {}),
    "hrss_contributions": (WANG, {}),
    "hrss_pension": (MA, {}),
    "hrss_qualifications": (WANG, {}),
    "hrss_unemployment": (ZHANG, {}),
    "police_household": (WANG, {}),
    "police_idcard_progress": (WANG, {}),
    "police_traffic_violations": (None, {"plate": "青HA1234", "engine_tail": "305127"}),
    "police_exit_entry_progress": (MALI, {}),
    "medical_balance": (WANG, {}),
    "medical_contributions": (LI, {}),
    "medical_institutions": (None, {"kind": "2", "keyword": ""}),
    "realestate_rights": (WANG, {}),
    "realestate_progress": (WANG, {}),
    "civil_marriage": (MALI, {}),
    "civil_elderly_allowance": (LI, {}),
    "civil_care_homes": (None, {"keyword": "格尔木"}),
    "civil_dibao": (MA, {}),
    "bus_card": (None, {"card_no": "31000012345678"}),
    "bus_routes": (None, {"keyword": ""}),
    "hpf_deposits": (WANG, {}),
}


@contextlib.asynccontextmanager
async def running(
    code: str, secret: str = "sim-secret", timeout_s: float = 3.0, **sim_args: object
) -> AsyncIterator[tuple[DeptSimulator, Department]]:
    """The department's simulator on loopback and an adapter pointed at it."""
    async with CASES[code].sim(**sim_args) as sim:  # type: ignore[arg-type]
        endpoint = DepartmentEndpoint(
            url=sim.url,
            app_id=sim.app_id,
            secret=secret,
            timeout_s=timeout_s,  # type: ignore[arg-type]
        )
        adapter: Department = CASES[code].module.build(endpoint)
        try:
            yield sim, adapter
        finally:
            await adapter.close()
