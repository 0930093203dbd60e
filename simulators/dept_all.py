"""Every simulated department by its code (the demo and ``kfleet sim dept`` start them)."""

from __future__ import annotations

from simulators.dept_bus import BusDepartment
from simulators.dept_civil import CivilDepartment
from simulators.dept_common import DeptSimulator
from simulators.dept_edu import EduDepartment
from simulators.dept_hpf import HpfDepartment
from simulators.dept_hrss import HrssDepartment
from simulators.dept_medical import MedicalDepartment
from simulators.dept_police import PoliceDepartment
from simulators.dept_realestate import RealEstateDepartment

SIMULATORS: dict[str, type[DeptSimulator]] = {
    "edu": EduDepartment,
    "hrss": HrssDepartment,
    "police": PoliceDepartment,
    "medical": MedicalDepartment,
    "realestate": RealEstateDepartment,
    "civil": CivilDepartment,
    "bus": BusDepartment,
    "hpf": HpfDepartment,  # certs: 住房公积金管理中心
}
