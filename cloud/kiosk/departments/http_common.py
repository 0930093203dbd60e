"""What every department adapter shares: sign-in (OAuth token or HMAC request signature), one
bounded HTTP call, and the mapping of every failure to one :mod:`.base` error with a sentence
for the citizen. A department module says only what differs: where each operation lives, how
its answers are wrapped (:meth:`HttpDepartment.parse`), how it pages, and its refusal codes.

Every :meth:`HttpDepartment.query` — sign-in included — ends within the endpoint's
``timeout_s``; nothing personal is logged (the operation, the department's code and the
outcome are).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import quote, urlencode

import httpx

from cloud.kiosk.departments.base import (
    DepartmentAuthFailed,
    DepartmentBadAnswer,
    DepartmentCode,
    DepartmentMaintenance,
    DepartmentNotConfigured,
    DepartmentRefused,
    DepartmentTimeout,
    DepartmentUnavailable,
    Person,
    QueryResult,
)
from cloud.kiosk.departments.http_auth import (
    AuthRefused,
    BadShape,
    HmacAuth,
    NoAnswer,
    TokenAuth,
    redact_query_strings_of,
)
from cloud.settings_kiosk import DepartmentEndpoint

log = logging.getLogger(__name__)
BEIJING = timezone(timedelta(hours=8))

Args = Callable[[Person | None, Mapping[str, str]], dict[str, str]]


@dataclass(frozen=True)
class Op:
    """One operation: where it lives, its arguments (department names), and the result's
    fields (our key → the department's key). ``paged`` answers are lists."""

    method: Literal["GET", "POST"]
    path: str
    args: Args
    fields: Mapping[str, str]
    paged: bool = True
    #: the record's own "data as of" key (Beijing time, ``YYYY-MM-DD[ HH:MM:SS]``), if it has one
    as_of: str = ""


@dataclass(frozen=True)
class Answer:
    """A department's answer once its wrapping is read."""

    kind: Literal["ok", "refused", "auth", "maintenance", "unavailable"]
    payload: Any = None
    code: str = ""
    message: str = ""
    until: datetime | None = None


@dataclass(frozen=True)
class Page:
    items: list[Mapping[str, Any]]
    total: int
    pages: int
    extra: Mapping[str, Any] = field(default_factory=dict)


class HttpDepartment:
    """Base of the adapters; a subclass sets the class attributes and the style methods."""

    code: DepartmentCode
    name: str
    name_en: str
    ops: Mapping[str, Op]
    #: the department's refusal codes → (zh, en) sentences for the citizen
    refusals: Mapping[str, tuple[str, str]] = {}

    def __init__(self, endpoint: DepartmentEndpoint, auth: TokenAuth | HmacAuth) -> None:
        redact_query_strings_of(endpoint.url)
        self.endpoint = endpoint
        self.auth = auth
        self._client: httpx.AsyncClient | None = None

    # --- the style (overridden) --------------------------------------------------------
    def request(
        self, op: Op, args: dict[str, str], page: int, size: int
    ) -> tuple[dict[str, str], Any]:
        """(query parameters, JSON body or None) for one call."""
        paging = {"page": str(page), "size": str(size)} if op.paged else {}
        return ({**args, **paging}, None) if op.method == "GET" else (paging, args)

    def parse(self, response: httpx.Response) -> Answer:
        raise NotImplementedError

    def page(self, payload: Any, size: int) -> Page:
        raise NotImplementedError

    # --- the call ----------------------------------------------------------------------
    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def query(
        self,
        operation: str,
        person: Person | None,
        inputs: Mapping[str, str],
        page: int,
        page_size: int,
    ) -> QueryResult:
        op = self.ops.get(operation)
        if op is None:
            raise DepartmentNotConfigured(
                self.code, f"no operation {operation!r}", *_SENTENCES["not_configured"]
            )
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.endpoint.timeout_s):
                answer = await self._call(op, op.args(person, inputs), page, page_size)
            result = self._result(op, answer, page, page_size)
        except Exception as err:
            mapped = self._map(err)
            if mapped is err:
                raise
            log.warning("%s %s failed: %s", self.code, operation, type(mapped).__name__)
            raise mapped from err
        log.info("%s %s ok in %.0f ms", self.code, operation, (time.monotonic() - started) * 1000)
        return result

    async def _call(self, op: Op, args: dict[str, str], page: int, size: int) -> Answer:
        for attempt in (1, 2):
            answer = await self._send(op, args, page, size)
            if answer.kind != "auth" or attempt == 2 or isinstance(self.auth, HmacAuth):
                return answer
            self.auth.forget()  # an expired token: sign in again once
        raise AssertionError("unreachable")

    async def _send(self, op: Op, args: dict[str, str], page: int, size: int) -> Answer:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        params, body = self.request(op, args, page, size)
        target = op.path + ("?" + urlencode(params, quote_via=quote) if params else "")
        content = b"" if body is None else _json_bytes(body)
        try:
            headers = await self.auth.headers(self._client, op.method, target, content)
        except NoAnswer as err:  # the sign-in's own answer may announce maintenance
            if err.response is None or err.response.status_code != 503:
                raise
            return self._read(err.response)
        if body is not None:
            headers["Content-Type"] = "application/json"
        r = await self._client.request(
            op.method, self.endpoint.url.rstrip("/") + target, content=content, headers=headers
        )
        return self._read(r)

    def _read(self, r: httpx.Response) -> Answer:
        """A 429 or a 5xx other than a maintenance 503 is "try later" whatever its body says
        (often a gateway's page, not the department's)."""
        if r.status_code == 429 or (r.status_code >= 500 and r.status_code != 503):
            raise NoAnswer(f"HTTP {r.status_code}", r)
        try:
            return self.parse(r)
        except (ValueError, KeyError, TypeError) as err:
            raise BadShape(f"HTTP {r.status_code}: {type(err).__name__}: {err}") from err

    def _result(self, op: Op, answer: Answer, page: int, size: int) -> QueryResult:
        if answer.kind != "ok":
            raise _NotOk(answer)
        try:
            if not op.paged:
                if not isinstance(answer.payload, Mapping):
                    raise BadShape("a record is not an object")
                as_of = _as_of(answer.payload.get(op.as_of)) if op.as_of else None
                return QueryResult([_row(op, answer.payload)], 1, as_of=as_of or datetime.now(UTC))
            found = self.page(answer.payload, size)
            rows = [_row(op, item) for item in found.items]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise BadShape(f"{type(err).__name__}: {err}") from err
        return QueryResult(
            rows, found.total, page, max(1, found.pages), datetime.now(UTC), self.notes(found)
        )

    def notes(self, found: Page) -> list[str]:
        """Lines shown under a table (a card's balance...)."""
        return []

    def _map(self, err: Exception) -> Exception:
        system = self.code
        if isinstance(err, (TimeoutError, httpx.TimeoutException)):
            zh, en = _SENTENCES["timeout"]
            return DepartmentTimeout(
                system,
                f"no answer within {self.endpoint.timeout_s:g} s",
                zh.format(self.name),
                _cap(en.format(self.name_en)),
            )
        if isinstance(err, _NotOk):
            return self._not_ok(err.answer)
        if isinstance(err, AuthRefused):
            return DepartmentAuthFailed(system, str(err), *_SENTENCES["auth"])
        if isinstance(err, BadShape):
            return DepartmentBadAnswer(system, str(err), *_SENTENCES["bad"])
        if isinstance(err, (NoAnswer, httpx.HTTPError)):
            zh, en = _SENTENCES["unavailable"]
            return DepartmentUnavailable(
                system,
                f"{type(err).__name__}: {err}",
                zh.format(self.name),
                _cap(en.format(self.name_en)),
            )
        return err  # a bug: not a department's failure

    def _not_ok(self, answer: Answer) -> Exception:
        system, why = self.code, f"{answer.kind} {answer.code}: {answer.message[:120]}"
        if answer.kind == "auth":
            return DepartmentAuthFailed(system, why, *_SENTENCES["auth"])
        if answer.kind == "maintenance":
            return _maintenance(system, why, self.name, self.name_en, answer.until)
        if answer.kind == "unavailable":
            zh, en = _SENTENCES["unavailable"]
            return DepartmentUnavailable(
                system, why, zh.format(self.name), _cap(en.format(self.name_en))
            )
        zh, en = self.refusals.get(answer.code, _SENTENCES["refused"])
        return DepartmentRefused(system, answer.code, why, zh, en)


class _NotOk(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.kind)
        self.answer = answer


_SENTENCES = {
    "timeout": (
        "{}暂时没有响应，请稍后再试。",
        "{} did not answer in time. Please try again later.",
    ),
    "unavailable": (
        "{}系统暂时无法访问，请稍后再试或到窗口咨询。",
        "{} cannot be reached right now. Please try later or ask at a service window.",
    ),
    "auth": (
        "该查询暂时无法使用，请到窗口咨询。",
        "This query is not available right now. Please ask at a service window.",
    ),
    "bad": (
        "查询结果暂时无法显示，请稍后再试或到窗口咨询。",
        "The result cannot be shown right now. Please try later or ask at a service window.",
    ),
    "refused": (
        "未能查询到结果，请核对信息后重试，或到窗口咨询。",
        "No result was found. Please check what you entered, or ask at a service window.",
    ),
    "not_configured": (
        "该查询暂未开通，请到窗口咨询。",
        "This query is not available here yet. Please ask at a service window.",
    ),
}


def _maintenance(
    system: str, why: str, name: str, name_en: str, until: datetime | None
) -> Exception:
    if until is None:
        zh, en = (
            f"{name}系统维护中，请稍后再试。",
            f"{_cap(name_en)} is under maintenance. Please try later.",
        )
    else:
        local = until.astimezone(BEIJING).strftime("%m月%d日 %H:%M")
        zh = f"{name}系统维护中，预计{local}恢复，请届时再试。"
        stamp = until.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        en = f"{_cap(name_en)} is under maintenance until {stamp} (Beijing time). Try again then."
    return DepartmentMaintenance(system, why, zh, en, until)


def _row(op: Op, item: Mapping[str, Any]) -> dict[str, str]:
    row: dict[str, str] = {}
    for key, wire in op.fields.items():
        value = item.get(wire, "")
        if isinstance(value, (dict, list)):
            raise BadShape(f"{wire} is not a scalar")
        row[key] = "" if value is None else str(value)
    return row


def _as_of(value: Any) -> datetime | None:
    """A department's own timestamp; one we cannot read is no timestamp (the answer's time
    stands in), not a bad answer."""
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(str(value), fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return None


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def person_args(person: Person | None, id_key: str, name_key: str) -> dict[str, str]:
    """The person's ID number and name under the department's names for them."""
    if person is None:
        raise ValueError("a person query was run without a person")
    return {id_key: person.id_number, name_key: person.name}


def _cap(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]
