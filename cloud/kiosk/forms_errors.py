"""The e-forms' errors: the technician's sentence (``str(exc)``) and the citizen's, zh/en."""

from __future__ import annotations

from collections.abc import Sequence

from cloud.kiosk.errors import KioskError
from protocols.eform_check import FormProblem


class FormNotFound(KioskError):
    status_code = 404
    code = "form_not_found"

    def __init__(self, code: str, version: int | None = None) -> None:
        what = f"form {code}" + (f" has no version {version}" if version else " is not known")
        super().__init__(
            what,
            "没有找到这张表单，请返回重新选择。",
            "This form was not found: please go back and choose again.",
        )


class FormDefinitionInvalid(KioskError):
    code = "form_definition_invalid"

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(
            "; ".join(problems),
            "表单定义有误，暂不能使用。",
            "This form's definition is not usable.",
        )
        self.problems = list(problems)


class FormStateRefused(KioskError):
    """A publish or roll back that the form's state does not allow (409)."""

    status_code = 409
    code = "form_state_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, "表单状态已变化，请刷新后重试。", "The form changed: reload it.")


class FormDataInvalid(KioskError):
    """Filled data that fails the form's one validation (``form_problems``)."""

    code = "form_data_invalid"

    def __init__(self, code: str, problems: Sequence[FormProblem]) -> None:
        first = problems[0]
        more = len(problems) - 1
        super().__init__(
            f"form {code}: {len(problems)} problem(s), at "  # keys only: never a value
            + ", ".join(p.field or "(the form)" for p in problems),
            first.message + (f"（另有{more}处需要修改）" if more else ""),
            first.message_en + (f" ({more} more to correct)" if more else ""),
        )
        self.problems = list(problems)


class HandoffGone(KioskError):
    """The phone link expired or was already used: it opens nothing any more."""

    status_code = 410
    code = "handoff_gone"

    def __init__(self, why: str) -> None:
        super().__init__(
            f"the phone link {why}",
            "此链接已失效（已使用或已过期）。请回到自助终端重新扫码。",
            "This link no longer works (used or expired). Scan the new code at the kiosk.",
        )


class HandoffNotFound(KioskError):
    status_code = 404
    code = "handoff_not_found"

    def __init__(self) -> None:
        super().__init__(
            "no such phone link",
            "此链接无效。请回到自助终端重新扫码。",
            "This link is not valid. Scan the code at the kiosk again.",
        )


class NoA4Printer(KioskError):
    status_code = 409
    code = "no_a4_printer"

    def __init__(self, why: str) -> None:
        super().__init__(
            f"this kiosk cannot print forms: {why}",
            "本机暂不能打印表单，请到窗口办理。",
            "This kiosk cannot print the form right now: please go to a window.",
        )
