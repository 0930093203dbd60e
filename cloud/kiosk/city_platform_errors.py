"""How the city 政务服务平台 (case progress) fails, each with the citizen's sentence.

The technician's sentence (``str(exc)``) names the platform's code and is logged; the
citizen's says what happened and what to do (ask at a window, try later, check the number).
"""

from __future__ import annotations

from datetime import datetime

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.errors import KioskError, OutsideSystemError

SYSTEM = "city_platform"
_LATER = "请稍后再试，或到窗口查询。"
_LATER_EN = "Please try again later or ask at a window."


class CityPlatformError(OutsideSystemError):
    """The platform refused our request itself (a bug or configuration on our side)."""

    status_code = 502
    code = "city_platform_error"

    def __init__(self, message: str, zh: str = "", en: str = "") -> None:
        super().__init__(
            SYSTEM,
            message,
            zh or "办件查询暂时无法使用，请到窗口查询。",
            en or "Case progress is not available now. Please ask at a window.",
        )


class CityPlatformTimeout(CityPlatformError):
    status_code = 504
    code = "city_platform_timeout"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "政务服务平台暂时没有响应，" + _LATER,
            "The government-service platform is not answering. " + _LATER_EN,
        )


class CityPlatformUnavailable(CityPlatformError):
    status_code = 503
    code = "city_platform_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "政务服务平台暂时无法访问，" + _LATER,
            "The government-service platform cannot be reached now. " + _LATER_EN,
        )


class CityPlatformMaintenance(CityPlatformError):
    """The platform announced maintenance; ``until`` when it says it ends."""

    status_code = 503
    code = "city_platform_maintenance"

    def __init__(self, message: str, until: datetime | None) -> None:
        when = until.astimezone(HALL_TZ).strftime("%H:%M") if until is not None else ""
        zh = f"政务服务平台正在维护{f'（预计 {when} 恢复）' if when else ''}，" + _LATER
        en_when = f" until about {when}" if when else ""
        en = f"The government-service platform is under maintenance{en_when}. " + _LATER_EN
        super().__init__(message, zh, en)
        self.until = until


class CityPlatformAuthFailed(CityPlatformError):
    """Our app id, secret or clock were refused: the administrator's matter."""

    code = "city_platform_auth_failed"


class CityPlatformBadAnswer(CityPlatformError):
    """The platform answered something that is not its documented shape."""

    code = "city_platform_bad_answer"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "政务服务平台返回的数据有误，" + _LATER,
            "The government-service platform sent an answer we cannot read. " + _LATER_EN,
        )


class CityPlatformNotConfigured(CityPlatformError):
    status_code = 503
    code = "city_platform_not_configured"

    def __init__(self) -> None:
        super().__init__(
            "no city platform is configured (KFLEET_CITY_PLATFORM_URL); see docs/kiosk-cases.md",
            "本终端暂未开通办件查询，请到窗口查询。",
            "Case progress is not offered at this kiosk yet. Please ask at a window.",
        )


class CaseNotFound(KioskError):
    status_code = 404
    code = "case_not_found"

    def __init__(self, case_no: str) -> None:
        super().__init__(
            f"the city platform has no case {case_no}",
            "没有找到这个办件编号，请核对受理回执上的编号后重新输入。",
            "No case has this number. Please check the number on your receipt and try again.",
        )


class CaseRefused(KioskError):
    """The platform refused to show this (a classified case, a number it rejects);
    ``reason`` is its own code."""

    status_code = 422
    code = "case_refused"

    def __init__(self, reason: str, message: str) -> None:
        if reason == "20003":
            zh = "该办件涉及保密事项，不能在自助终端查询，请携带身份证到窗口查询。"
            en = "This case is classified and cannot be shown here. Please ask at a window."
        elif reason == "20002":
            zh = "身份证号码不正确，请核对后重新输入。"
            en = "The ID number is not valid. Please check it and try again."
        else:
            zh = "政务服务平台不能查询这个办件，请到窗口查询。"
            en = "The platform cannot show this case. Please ask at a window."
        super().__init__(f"{SYSTEM} refused ({reason}): {message}", zh, en)
        self.reason = reason


class IdNumberInvalid(KioskError):
    """A typed ID number that is not 18 characters or fails the GB 11643 check digit."""

    status_code = 422
    code = "id_number_invalid"

    def __init__(self, message: str, zh: str, en: str) -> None:
        super().__init__(message, zh, en)
