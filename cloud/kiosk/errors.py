"""The kiosk services' errors: each carries the technician's sentence (``str(exc)``, logged
and in ``message``) and the citizen's, in Chinese and English (``citizen_message`` and
``citizen_message_en`` of the error body, which the kiosk shows). A citizen's sentence says
what happened and what to do, never a stack trace, never another person's data."""

from __future__ import annotations

from cloud.errors import CloudError


class KioskError(CloudError):
    """Root of the kiosk services' errors; ``code`` is stable snake_case."""

    status_code = 422
    code = "kiosk_error"

    def __init__(self, message: str, zh: str, en: str) -> None:
        super().__init__(message)
        self.citizen = (zh, en)


class OutsideSystemError(KioskError):
    """A department, the city platform or a gateway failed; ``system`` names it (logged)."""

    status_code = 502
    code = "outside_system_error"

    def __init__(self, system: str, message: str, zh: str, en: str) -> None:
        super().__init__(f"{system}: {message}", zh, en)
        self.system = system
