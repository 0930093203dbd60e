"""What the certificates and the social security card's loss share: the citizen's identity
(the ID card read at the kiosk and the token its one-time code granted, checked by
``cloud.kiosk.otp`` exactly as for a person query), one bounded call of a department's
operation, and the errors of this area."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from cloud.auth.principal import Principal
from cloud.kiosk.departments.base import (
    Department,
    DepartmentBadAnswer,
    DepartmentNotConfigured,
    DepartmentTimeout,
    Person,
)
from cloud.kiosk.errors import KioskError
from cloud.kiosk.otp import OtpService


@dataclass(frozen=True, slots=True)
class Who:
    """The citizen at the kiosk: the card read there and the identity token of its code."""

    identity_token: str
    id_number: str
    name: str


class CertNotPrinted(KioskError):
    status_code = 409
    code = "certificate_not_printed"


class UnknownCertificate(KioskError):
    status_code = 404
    code = "unknown_certificate"

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"no certificate {kind!r}",
            "没有这项证明，请返回重新选择。",
            "There is no such certificate. Please go back and choose again.",
        )


class RequestReused(KioskError):
    status_code = 409
    code = "request_reused"

    def __init__(self) -> None:
        super().__init__(
            "this request id was used for another card or action at this kiosk",
            "本次操作已办理过，请返回重新开始。",
            "This was already done. Please go back and start again.",
        )


class Departments:
    """The department adapters this area calls, by department code, with their timeouts."""

    def __init__(self, adapters: Mapping[str, tuple[Department, float]], otp: OtpService):
        self._adapters = dict(adapters)
        self.otp = otp

    def has(self, code: str) -> bool:
        return code in self._adapters

    async def person(self, caller: Principal, who: Who) -> Person:
        """The citizen, once the identity token holds for this card at this kiosk."""
        await self.otp.check_token(caller.name, who.identity_token, who.id_number, who.name)
        return Person(who.id_number.upper(), who.name.strip())

    async def record(
        self, code: str, operation: str, person: Person, inputs: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """One record from a department's operation; a DepartmentError otherwise."""
        got = self._adapters.get(code)
        if got is None:
            raise DepartmentNotConfigured(
                code,
                "not configured (kiosk_departments)",
                "该服务暂未开通，请到窗口办理。",
                "This service is not available yet. Please ask at a window.",
            )
        adapter, timeout_s = got
        try:
            async with asyncio.timeout(timeout_s + 1.0):
                result = await adapter.query(operation, person, dict(inputs or {}), 1, 1)
        except TimeoutError:
            raise DepartmentTimeout(
                code,
                f"no answer within {timeout_s + 1.0:g} s",
                "部门系统响应超时，请稍后再试。",
                "The department did not answer in time. Please try again later.",
            ) from None
        if len(result.rows) != 1:
            raise DepartmentBadAnswer(
                code,
                f"{len(result.rows)} records where one was expected",
                "部门系统返回的数据有误，请稍后再试或到窗口办理。",
                "The department's answer cannot be read. Please try later or ask at a window.",
            )
        return result.rows[0]

    async def close(self) -> None:
        for adapter, _ in self._adapters.values():
            await adapter.close()
