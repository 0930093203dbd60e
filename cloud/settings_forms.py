"""Settings of the e-forms (电子表单, 手机扫码填表; docs/kiosk-forms.md). Mixed into
:class:`cloud.settings.Settings`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class FormsSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    forms_handoff_ttl_s: Annotated[
        int,
        Field(
            ge=60,
            le=3600,
            description="Seconds a phone link (手机扫码填表) stays usable; after that the kiosk "
            "says it expired and offers a new one. The link is single-use whatever is left.",
        ),
    ] = 600
    forms_phone_url: Annotated[
        str,
        Field(
            pattern=r"^$|^https?://[^/\s]+",
            description="Base URL the citizen's phone opens the form at (the cloud as phones "
            "reach it). Empty: KFLEET_HALL_PHONE_URL, else the cloud's public URL.",
        ),
    ] = ""
