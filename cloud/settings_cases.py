"""Settings of case progress (办件查询): where the city 政务服务平台's case API is and how we
sign our requests to it (docs/kiosk-cases.md). Mixed into :class:`cloud.settings.Settings`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class CaseSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    city_platform_url: Annotated[
        str,
        Field(
            description="Base URL of the city 政务服务平台's case API (docs/kiosk-cases.md). "
            "Empty: the kiosk's case progress screen says the service is not available."
        ),
    ] = ""
    city_platform_app_id: Annotated[
        str, Field(description="Our app id on the city platform (X-Gov-App-Id).")
    ] = ""
    city_platform_secret: Annotated[
        SecretStr, Field(description="The HMAC-SHA256 secret our requests are signed with.")
    ] = SecretStr("")
    city_platform_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            le=30,
            description="Seconds to wait for the city platform's answer; a citizen at the "
            "kiosk is told it is not answering after that.",
        ),
    ] = 5.0
