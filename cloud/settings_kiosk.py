"""Settings the kiosk services share: the gateway that texts citizens (one-time codes,
appointment confirmations). Mixed into :class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class DepartmentEndpoint(BaseModel):
    """Where one department's API is and how we sign in to it."""

    url: Annotated[str, Field(pattern=r"^https?://[^/\s]+")]
    app_id: str = ""
    secret: SecretStr = SecretStr("")
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0


class KioskSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    citizen_sms_url: Annotated[
        str,
        Field(
            description="Base URL of the SMS gateway that texts citizens (one-time codes, "
            "appointment confirmations; docs/kiosk.md). Empty: nothing is texted, and the "
            "kiosk services that need a text say so."
        ),
    ] = ""
    citizen_sms_key: Annotated[
        SecretStr, Field(description="The API key of the citizens' SMS gateway (Bearer).")
    ] = SecretStr("")
    citizen_sms_sign: Annotated[
        str,
        Field(max_length=20, description="The signature (签名) every citizen's text carries."),
    ] = "格尔木政务服务"
    kiosk_departments: Annotated[
        dict[str, DepartmentEndpoint],
        Field(
            description="Each department's API for the convenience queries, as JSON: "
            '{"hrss": {"url": "https://...", "app_id": "...", "secret": "...", '
            '"timeout_s": 5}, ...} (codes edu, hrss, police, medical, realestate, civil, bus, '
            "hpf). "
            "A department not named here: its queries say they are not available."
        ),
    ] = {}
    citizen_sms_timeout_s: Annotated[
        float, Field(gt=0, description="Seconds to wait for the SMS gateway's answer.")
    ] = 5.0
    catalogue_offer_interval_s: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="Seconds between offers of the current service guide to every site: a "
            "site created since the last publication gets the catalogue within this time.",
        ),
    ] = 60.0
    guide_import_max_bytes: Annotated[
        int,
        Field(
            ge=1024,
            le=1024**3,
            description="Largest service-guide catalogue file the import takes (JSON or Excel; "
            "a county's 5,000 items in JSON are about 10 MB). Other API bodies keep "
            "KFLEET_API_MAX_BODY_BYTES.",
        ),
    ] = 64 * 1024 * 1024
