"""The simulated 民政局's 高龄补贴 (old-age allowance) service: registrations and the periodic
生存认证 (certification that the recipient is alive), in the bureau's style (``simulators/
dept_civil.py``: JSON bodies, ``{"code": "200", "message", "data"}``).

``POST /mz/api/gaoling/applications`` (``idCard``, ``name``, ``xb``, ``csrq``, ``hjdz``,
``lxdh``, ``sqjd``, ``khyh``, ``yhkh``, ``sqqd``) → ``{"sqbh", "zt": "已受理", "slsj",
"btdc"}``. The bureau checks again what the kiosk checked: refusals ``"4093"`` under 70 on the
day (Beijing), ``"4094"`` a bank card whose Luhn digit is wrong, ``"4092"`` already registered
(or already paid: 李桂英), ``"4091"`` a known person's name that does not match, ``"400"`` a
missing field.

``POST /mz/api/gaoling/certifications`` (``idCard``, ``name``, ``rzjg`` 通过, ``rzfs``
人脸核验, ``zdbh`` the kiosk) → ``{"rzbh", "zt": "已认证", "xcrzrq"}`` (next due in 12
months); ``"4095"`` not registered.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from protocols.eform_check import luhn_ok
from protocols.elderly import MIN_AGE, age_on, birth_of
from simulators.dept_common import Refusal, need
from simulators.dept_people import PEOPLE

BEIJING = timezone(timedelta(hours=8))
_FIELDS = ("idCard", "name", "xb", "csrq", "hjdz", "lxdh", "sqjd", "khyh", "yhkh")


@dataclass
class AllowanceBook:
    """What the bureau holds: registrations by ID number, certifications in order."""

    #: ID numbers already paid the allowance before the kiosk existed (the query's sample)
    paid: set[str] = field(default_factory=set)
    applications: dict[str, dict[str, str]] = field(default_factory=dict)
    certifications: list[dict[str, str]] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def register(self, params: dict[str, str]) -> dict[str, Any]:
        values = dict(zip(_FIELDS, need(params, *_FIELDS), strict=True))
        id_number = values["idCard"].upper()
        _known_name(id_number, values["name"])
        try:
            birth = birth_of(id_number)
        except ValueError:
            raise Refusal("400", "idCard is not a valid ID number") from None
        now = datetime.now(BEIJING)
        age = age_on(birth, now.date())
        if age < MIN_AGE:
            raise Refusal("4093", f"applicant is {age}, under {MIN_AGE}")
        if not luhn_ok(values["yhkh"]):
            raise Refusal("4094", "the bank card number fails its check digit")
        if id_number in self.paid or id_number in self.applications:
            raise Refusal("4092", "already registered", 409)
        number = f"GLBT{now:%Y%m%d}{next(self._numbers):05d}"
        stamp = now.strftime("%Y-%m-%d %H:%M:%S")
        self.applications[id_number] = {**values, "sqbh": number, "slsj": stamp}
        tier = "100周岁以上" if age >= 100 else f"{age // 10 * 10}-{age // 10 * 10 + 9}周岁"
        return {"sqbh": number, "zt": "已受理", "slsj": stamp, "btdc": tier}

    def certify(self, params: dict[str, str]) -> dict[str, Any]:
        id_number, name, result, method, device = need(
            params, "idCard", "name", "rzjg", "rzfs", "zdbh"
        )
        id_number = id_number.upper()
        _known_name(id_number, name)
        if id_number not in self.paid and id_number not in self.applications:
            raise Refusal("4095", "not registered for the allowance", 404)
        if result != "通过":
            raise Refusal("400", "only a passed certification is recorded")
        now = datetime.now(BEIJING)
        number = f"GLRZ{now:%Y%m%d}{next(self._numbers):05d}"
        self.certifications.append(
            {"rzbh": number, "idCard": id_number, "rzfs": method, "zdbh": device}
        )
        return {"rzbh": number, "zt": "已认证", "xcrzrq": _a_year_after(now.date()).isoformat()}


def _known_name(id_number: str, name: str) -> None:
    person = PEOPLE.get(id_number)
    if person is not None and person.name != name:
        raise Refusal("4091", "the name does not match the id number")


def _a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)
