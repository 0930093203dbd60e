"""The upper-level 电子证照库 (electronic licence library): every certificate a kiosk issues is
reported to it, and a citizen's licences are listed from it at the kiosk
(docs/kiosk-certificates.md). One interface (:class:`LicenseLibrary`), one HTTP adapter over
the province's API (signed like the departments: ``X-Dzzz-*`` hex HMAC-SHA256; simulator
``simulators/license_library.py``). Every failure is a :class:`DepartmentError` with the
citizen's sentence; every call is bounded by the endpoint's ``timeout_s``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from cloud.kiosk.departments.base import Person
from cloud.kiosk.departments.http_auth import HmacAuth
from cloud.kiosk.departments.http_common import Answer, HttpDepartment, Op, Page, person_args
from cloud.settings_kiosk import DepartmentEndpoint

PAGE_SIZE = 20


@dataclass(frozen=True)
class Reported:
    """One certificate issued at a kiosk, as the library records it."""

    kind: str
    name: str
    number: str
    holder: Person
    issuer: str
    issued_on: str  # YYYY-MM-DD, Beijing time
    sha256: str


@dataclass(frozen=True)
class Licence:
    kind: str
    name: str
    number: str
    issuer: str
    issued_on: str
    status: str


class LicenseLibrary(Protocol):
    async def report(self, cert: Reported) -> str:
        """The library's id for ``cert`` (the same certificate again: the same id)."""
        ...

    async def licences(self, holder: Person, page: int) -> tuple[list[Licence], int, int]:
        """(licences on ``page``, total, pages)."""
        ...

    async def close(self) -> None: ...


def _issue_args(p: Person | None, i: Mapping[str, str]) -> dict[str, str]:
    return {**person_args(p, "holderId", "holderName"), **i}


def _holder(p: Person | None, _i: Mapping[str, str]) -> dict[str, str]:
    return person_args(p, "holderId", "holderName")


_LICENCE = {
    "kind": "licenseType",
    "name": "licenseName",
    "number": "licenseNumber",
    "issuer": "issuer",
    "issued_on": "issueDate",
    "status": "status",
}
OPS = {
    "issue": Op(
        "POST",
        "/dzzz/api/v1/licenses/issue",
        _issue_args,
        {"id": "licenseId", "number": "licenseNumber"},
        paged=False,
    ),
    "query": Op("POST", "/dzzz/api/v1/licenses/query", _holder, _LICENCE),
}

REFUSALS = {
    "DZ404": (
        "电子证照库中没有您的身份信息，请到窗口咨询。",
        "The licence library does not know you. Please ask at a window.",
    ),
}


class _Api(HttpDepartment):
    code = "dzzz"
    name = "电子证照库"
    name_en = "the electronic licence library"
    ops = OPS
    refusals = REFUSALS

    def request(
        self, op: Op, args: dict[str, str], page: int, size: int
    ) -> tuple[dict[str, str], Any]:
        paging = {"pageNo": page, "pageSize": size} if op.paged else {}
        return {}, {**args, **paging}

    def parse(self, response: httpx.Response) -> Answer:
        body = response.json()
        code, msg = str(body["code"]), str(body.get("message", ""))
        if response.status_code == 401:
            return Answer("auth", code=code, message=msg)
        if response.status_code == 503:
            end = body.get("recoverTime")
            return Answer(
                "maintenance", code=code, until=datetime.fromisoformat(end) if end else None
            )
        if body.get("success") is not True:
            return Answer("refused", code=code, message=msg)
        return Answer("ok", body["data"])

    def page(self, payload: Any, size: int) -> Page:
        total = int(payload["total"])
        return Page(list(payload["rows"]), total, -(-total // size))


class HttpLicenseLibrary:
    def __init__(self, endpoint: DepartmentEndpoint) -> None:
        self._api = _Api(endpoint, HmacAuth(endpoint, "X-Dzzz-", "hex"))

    async def report(self, cert: Reported) -> str:
        inputs = {
            "licenseType": cert.kind,
            "licenseName": cert.name,
            "licenseNumber": cert.number,
            "issuer": cert.issuer,
            "issueDate": cert.issued_on,
            "fileSha256": cert.sha256,
            "sourceSystem": "kfleet-kiosk",
        }
        got = await self._api.query("issue", cert.holder, inputs, 1, 1)
        return got.rows[0]["id"]

    async def licences(self, holder: Person, page: int) -> tuple[list[Licence], int, int]:
        got = await self._api.query("query", holder, {}, page, PAGE_SIZE)
        return [Licence(**row) for row in got.rows], got.total, got.pages

    async def close(self) -> None:
        await self._api.close()
