"""The adapter to the city 政务服务平台's case API (办件查询; docs/kiosk-cases.md "Wire format").

Every request is signed (HMAC-SHA256 over method, path, app id, a millisecond timestamp, a
fresh nonce and the body's SHA-256), bounded by ``timeout_s``, and every failure becomes one
:mod:`cloud.kiosk.city_platform_errors` error with a sentence for the citizen. Only the path,
the HTTP status and the platform's code are logged: the bodies hold ID numbers and names.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.city_platform_errors import (
    CaseNotFound,
    CaseRefused,
    CityPlatformAuthFailed,
    CityPlatformBadAnswer,
    CityPlatformError,
    CityPlatformMaintenance,
    CityPlatformTimeout,
    CityPlatformUnavailable,
)

log = logging.getLogger(__name__)

LIST_PATH = "/gov/api/v2/case/list"
DETAIL_PATH = "/gov/api/v2/case/detail"


def sign(secret: str, method: str, path: str, app_id: str, ts: str, nonce: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    message = "\n".join((method.upper(), path, app_id, ts, nonce, digest)).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class CaseStep:
    """One node of a case's timeline (受理, 审查, 决定, 办结, 送达, 补正, 不予受理)."""

    code: str
    name: str
    at: datetime | None
    department: str
    result: str
    opinion: str


@dataclass(frozen=True)
class Case:
    case_no: str
    item: str
    department: str
    hall: str
    #: the applicant's name as the platform has it (masked before it reaches a screen)
    applicant: str
    status: str
    status_name: str
    accepted_at: datetime | None
    promised_at: datetime | None
    finished_at: datetime | None
    steps: list[CaseStep]


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    total: int
    page: int
    pages: int


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Node(_Wire):
    nodeCode: str
    nodeName: str
    handleTime: str | None = None
    handleDept: str = ""
    handleResult: str = ""
    handleOpinion: str = ""


class _Case(_Wire):
    caseNo: str
    itemName: str
    deptName: str
    hallName: str = ""
    applicantName: str = ""
    caseStatus: str
    caseStatusName: str
    acceptTime: str | None = None
    promiseTime: str | None = None
    finishTime: str | None = None
    nodes: list[_Node]


class _Page(_Wire):
    total: int
    pageNo: int
    pageSize: int
    pages: int | None = None
    records: list[_Case]


def _time(value: str | None) -> datetime | None:
    """The platform's local ``YYYY-MM-DD HH:MM:SS`` (China time)."""
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=HALL_TZ)


def _case(c: _Case) -> Case:
    steps = [
        CaseStep(
            n.nodeCode,
            n.nodeName,
            _time(n.handleTime),
            n.handleDept,
            n.handleResult,
            n.handleOpinion,
        )
        for n in c.nodes
    ]
    return Case(
        c.caseNo,
        c.itemName,
        c.deptName,
        c.hallName,
        c.applicantName,
        c.caseStatus,
        c.caseStatusName,
        _time(c.acceptTime),
        _time(c.promiseTime),
        _time(c.finishTime),
        steps,
    )


class CityPlatform:
    """``await platform.cases_of(id_number, page, page_size)``, ``await platform.case(no)``."""

    def __init__(self, url: str, app_id: str, secret: str, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._app_id = app_id
        self._secret = secret
        self.timeout_s = timeout_s
        self._http = httpx.AsyncClient(trust_env=False, follow_redirects=False)

    async def close(self) -> None:
        await self._http.aclose()

    async def cases_of(self, id_number: str, page: int, page_size: int) -> CasePage:
        body = {"certType": "111", "certNo": id_number, "pageNo": page, "pageSize": page_size}
        data = await self._call(LIST_PATH, body)
        try:
            got = _Page.model_validate(data)
            cases = [_case(c) for c in got.records]
        except (ValidationError, ValueError) as err:
            raise CityPlatformBadAnswer(f"case list not in the documented shape: {err}") from err
        pages = got.pages or max(1, -(-got.total // max(1, got.pageSize)))
        return CasePage(cases, got.total, got.pageNo, pages)

    async def case(self, case_no: str) -> Case:
        data = await self._call(DETAIL_PATH, {"caseNo": case_no})
        try:
            return _case(_Case.model_validate(data))
        except (ValidationError, ValueError) as err:
            raise CityPlatformBadAnswer(f"case detail not in the documented shape: {err}") from err

    def headers(self, path: str, body: bytes) -> dict[str, str]:
        ts, nonce = str(int(time.time() * 1000)), secrets.token_hex(16)
        return {
            "X-Gov-App-Id": self._app_id,
            "X-Gov-Timestamp": ts,
            "X-Gov-Nonce": nonce,
            "X-Gov-Signature": sign(self._secret, "POST", path, self._app_id, ts, nonce, body),
            "Content-Type": "application/json; charset=utf-8",
        }

    async def _call(self, path: str, body: dict[str, Any]) -> Any:
        raw = json.dumps(body, ensure_ascii=False).encode()
        try:  # httpx bounds each phase; the outer bound covers the whole exchange
            async with asyncio.timeout(self.timeout_s + 0.5):
                r = await self._http.post(
                    self.url + path,
                    content=raw,
                    headers=self.headers(path, raw),
                    timeout=self.timeout_s,
                )
        except (TimeoutError, httpx.TimeoutException) as err:
            log.warning("city platform %s: no answer within %g s", path, self.timeout_s)
            raise CityPlatformTimeout(f"no answer within {self.timeout_s:g} s ({path})") from err
        except httpx.HTTPError as err:
            log.warning("city platform %s: %s", path, type(err).__name__)
            raise CityPlatformUnavailable(f"unreachable ({type(err).__name__})") from err
        doc = _json(r)
        code = str(doc.get("code", "")) if doc is not None else ""
        log.info("city platform %s: HTTP %s code %s", path, r.status_code, code or "-")
        return _data(r, doc, code, path, body)


def _json(r: httpx.Response) -> dict[str, Any] | None:
    try:
        doc = r.json()
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _data(r: httpx.Response, doc: dict[str, Any] | None, code: str, path: str, body: Any) -> Any:
    """The ``data`` of a success, else the error the answer means."""
    msg = str(doc.get("msg", "")) if doc is not None else r.text[:120]
    said = f"HTTP {r.status_code} {code} {msg}".strip()
    if r.status_code == 503 and code == "50301":
        data = doc.get("data") if doc is not None else None
        end = data.get("maintenanceEnd") if isinstance(data, dict) else None
        raise CityPlatformMaintenance(f"maintenance: {said}", _until(end))
    if r.status_code in (401, 403):
        raise CityPlatformAuthFailed(
            f"our credentials were refused: {said} (check KFLEET_CITY_PLATFORM_APP_ID, "
            "_SECRET and this server's clock)"
        )
    if r.status_code >= 500 or r.status_code in (408, 429):
        raise CityPlatformUnavailable(said)
    if doc is None:
        raise CityPlatformBadAnswer(f"answer is not a JSON object: HTTP {r.status_code}")
    if r.status_code != 200:
        raise CityPlatformError(f"the platform refused our request: {said}")
    if code == "0":
        return doc.get("data")
    if code == "20001":
        raise CaseNotFound(str(body.get("caseNo", "")))
    if code.startswith("2"):
        raise CaseRefused(code, msg)
    raise CityPlatformBadAnswer(f"unknown answer code on {path}: {said}")


def _until(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
