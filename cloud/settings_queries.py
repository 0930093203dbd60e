"""Settings of the convenience queries (便民查询, docs/kiosk-queries.md): the identity platform
that knows each citizen's phone on file, where one-time codes are sent. Mixed into
:class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class QueriesSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    kiosk_identity_url: Annotated[
        str,
        Field(
            description="Base URL of the identity platform (统一身份认证平台) that gives the "
            "phone on file for an ID number (docs/kiosk-queries.md). Empty: person queries "
            "say they are not available; public queries still work."
        ),
    ] = ""
    kiosk_identity_token: Annotated[
        SecretStr, Field(description="The identity platform's API token (Bearer).")
    ] = SecretStr("")
    kiosk_identity_timeout_s: Annotated[
        float,
        Field(gt=0, le=30, description="Seconds to wait for the identity platform's answer."),
    ] = 5.0
