"""How a self-service application (自助申报) is refused, each with the citizen's sentence."""

from __future__ import annotations

from cloud.kiosk.errors import KioskError
from protocols.eform_check import FormProblem


class ApplyNotConfigured(KioskError):
    status_code = 503
    code = "apply_not_configured"

    def __init__(self) -> None:
        super().__init__(
            "no city platform is configured (KFLEET_CITY_PLATFORM_URL); see docs/kiosk-apply.md",
            "本终端暂未开通自助申报，请到窗口办理。",
            "Self-service applications are not offered at this kiosk yet. Please go to a window.",
        )


class MaterialRefused(KioskError):
    code = "material_refused"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "扫描的材料无法保存，请重新扫描该页。",
            "A scanned page could not be kept. Please scan that page again.",
        )


class MaterialMissing(KioskError):
    """A page the application names was not uploaded by this kiosk (or has expired)."""

    status_code = 409
    code = "material_missing"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "部分扫描材料已失效，请返回材料清单重新扫描。",
            "Some scanned pages are no longer available. Please go back and scan them again.",
        )


class ApplicationIncomplete(KioskError):
    """Situations unanswered, a required material without pages, a material not asked for."""

    code = "application_incomplete"

    def __init__(self, message: str, zh: str, en: str) -> None:
        super().__init__(message, zh, en)


class FormChanged(KioskError):
    status_code = 409
    code = "form_changed"

    def __init__(self, code: str, sent: int, current: int) -> None:
        super().__init__(
            f"form {code} was filled against version {sent}; version {current} is current",
            "申请表已更新，请核对后重新填写。",
            "The application form has been updated: please check and fill it again.",
        )


class FormInvalid(KioskError):
    code = "form_invalid"

    def __init__(self, problems: list[FormProblem]) -> None:
        first = problems[0]
        super().__init__(
            f"the form has {len(problems)} problem(s), first on field {first.field!r}",
            first.message,
            first.message_en,
        )
        self.problems = problems


class ApplyRefused(KioskError):
    """The platform refused the application itself (``reason`` is its code)."""

    code = "apply_refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(
            f"city_platform refused the application ({reason}): {message}",
            "政务服务平台未接收本次申报，请携带材料到窗口办理。",
            "The platform did not accept this application. Please take your documents to a window.",
        )
        self.reason = reason
