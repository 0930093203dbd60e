"""Settings of the print/copy audit (统一扎口, docs/print-audit.md). Mixed into
:class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator


class PrintAuditSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    print_audit_content_days: Annotated[
        int,
        Field(
            ge=0,
            le=3650,
            description="Days the content of each printed or copied job (the PDF, the "
            "receipt's lines, the copy's page) is kept for the print audit; then it is "
            "deleted and only its sha256 stays. 0: deleted at the next retention pass.",
        ),
    ] = 30
    print_audit_timezone: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+){0,2}$|^UTC$",
            description="The IANA time zone the audit's reports count days, weeks and "
            "months in (the halls' local time).",
        ),
    ] = "Asia/Shanghai"
    print_audit_every_s: Annotated[
        float,
        Field(
            gt=0,
            le=300,
            description="Seconds between two passes of the audit recorder over newly "
            "succeeded print and copy jobs.",
        ),
    ] = 2.0

    @field_validator("print_audit_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(
                f"{value!r} is not a time zone this system knows: use an IANA name such as "
                "Asia/Shanghai (install tzdata if none is known)"
            ) from err
        return value
