"""The department-adapter framework's contract: how a convenience query (便民查询) is declared,
what a department adapter answers, and how a department fails.

A **query** is data (:class:`QueryDecl`): its inputs, whether it is about a person (then the
kiosk must have read the citizen's ID card and checked a one-time code sent to the phone on
file), which department answers it and with which operation, how its result is laid out, and
whether it may be printed. A **department** is one adapter (:class:`Department`) over that
department's HTTP API (token or request signature, paging, error codes, timeouts, a
maintenance window), with a simulator in ``simulators/``. Every failure is one of the
:class:`DepartmentError` subclasses below, each with a sentence for the citizen; none hangs the
kiosk (every call is bounded by the department's ``timeout_s``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from cloud.kiosk.errors import OutsideSystemError

#: department codes (教育厅, 人社厅, 公安厅, 医保局, 不动产登记中心, 民政局, 公交集团, 公积金中心,
#: and the 电子证照库 the certificates are reported to)
DepartmentCode = Literal[
    "edu", "hrss", "police", "medical", "realestate", "civil", "bus", "hpf", "dzzz"
]


class _Decl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QueryInput(_Decl):
    """One input the citizen gives; the ID number and name of a person query come from the
    card and are not inputs."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    label: str
    label_en: str
    #: which on-screen keyboard: digits, an ID number (with X), a phone, letters and digits
    kind: Literal["digits", "id_number", "phone", "alnum", "select", "date", "plate"]
    pattern: str = ""
    options: list[tuple[str, str, str]] = []  # (value, label, label_en) for ``select``
    required: bool = True


class ResultField(_Decl):
    """One field of a result row, and how it is shown where a bystander may read it."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    label: str
    label_en: str
    #: ``name`` 张*明, ``id_number`` 6301**********1234, ``phone`` 138****5678, ``account`` the
    #: last 4, ``amount`` shown but not printed on a shared printer unless printable, ``none``
    mask: Literal["none", "name", "id_number", "phone", "account", "address"] = "none"


class QueryDecl(_Decl):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{2,47}$")]
    name: str
    name_en: str
    department: DepartmentCode
    #: the adapter's operation that answers it
    operation: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    #: ``person``: ID card at the kiosk + one-time code to the phone on file; ``public``: none
    identity: Literal["person", "public"]
    inputs: list[QueryInput] = []
    #: ``record`` one row as label/value pairs; ``table`` rows with paging; ``timeline``
    layout: Literal["record", "table", "timeline"]
    fields: list[ResultField]
    printable: bool = True
    #: the home screen's grouping (社保医保, 户籍证件, 教育, 住房, 民生保障, 交通出行)
    category: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


@dataclass(frozen=True)
class Person:
    """The citizen a person query is about (from the card read at the kiosk, verified by a
    one-time code); never logged."""

    id_number: str
    name: str


@dataclass(frozen=True)
class QueryResult:
    rows: list[dict[str, str]]
    total: int
    page: int = 1
    pages: int = 1
    #: when the department's data is from (its own timestamp, else the time of the answer)
    as_of: datetime | None = None
    notes: list[str] = field(default_factory=list)


class Department(Protocol):
    """One department's adapter."""

    code: DepartmentCode
    name: str
    name_en: str

    async def query(
        self,
        operation: str,
        person: Person | None,
        inputs: Mapping[str, str],
        page: int,
        page_size: int,
    ) -> QueryResult:
        """Raises a :class:`DepartmentError` subclass on every failure."""
        ...

    async def close(self) -> None: ...


class DepartmentError(OutsideSystemError):
    code = "department_error"


class DepartmentTimeout(DepartmentError):
    status_code = 504
    code = "department_timeout"


class DepartmentMaintenance(DepartmentError):
    """The department announced a maintenance window; ``until`` when it says it ends."""

    status_code = 503
    code = "department_maintenance"

    def __init__(self, system: str, message: str, zh: str, en: str, until: datetime | None):
        super().__init__(system, message, zh, en)
        self.until = until


class DepartmentAuthFailed(DepartmentError):
    """Our credentials or signature were refused: a configuration matter, not the citizen's."""

    status_code = 502
    code = "department_auth_failed"


class DepartmentBadAnswer(DepartmentError):
    """The department answered something that is not its documented shape."""

    status_code = 502
    code = "department_bad_answer"


class DepartmentUnavailable(DepartmentError):
    """No answer at all, or a 5xx: try later."""

    status_code = 503
    code = "department_unavailable"


class DepartmentRefused(DepartmentError):
    """The department refused this query for a reason the citizen can act on (no record,
    wrong card number...): ``reason`` is the department's own code."""

    status_code = 422
    code = "department_refused"

    def __init__(self, system: str, reason: str, message: str, zh: str, en: str) -> None:
        super().__init__(system, message, zh, en)
        self.reason = reason


class DepartmentNotConfigured(DepartmentError):
    status_code = 503
    code = "department_not_configured"
