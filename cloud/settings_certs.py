"""Settings of the certificates and the social security card's loss at the kiosk
(docs/kiosk-certificates.md). Mixed into :class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from cloud.settings_kiosk import DepartmentEndpoint


class CertSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    license_library: Annotated[
        DepartmentEndpoint | None,
        Field(
            description="The upper-level 电子证照库 every certificate issued at a kiosk is "
            'reported to, as JSON: {"url": "https://...", "app_id": "...", "secret": "...", '
            '"timeout_s": 5}. Unset: certificates are still issued and wait, unreported, '
            "until it is set; the kiosk's 我的电子证照 says it is not available."
        ),
    ] = None
    certificate_verify_url: Annotated[
        str,
        Field(
            description="Public base URL of the certificate verification page the QR code on "
            "each certificate opens (``<url>/v/<token>``). Empty: ``hall_phone_url``, else "
            "``base_url``."
        ),
    ] = ""
    certificate_report_retry_s: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="Seconds between retries of certificates not yet reported to the "
            "licence library (it was down when they were issued).",
        ),
    ] = 60.0
