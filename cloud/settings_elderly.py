"""Settings of the 高龄补贴 service at the kiosk (docs/kiosk-elderly.md): the face-verification
service that certifies a recipient is alive. Mixed into :class:`cloud.settings.Settings`
(``KFLEET_*``); the 民政局 itself is the ``civil`` entry of ``kiosk_departments``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class ElderlySettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    face_verify_url: Annotated[
        str,
        Field(
            description="Base URL of the face-verification service (人脸核验: action "
            "liveness and comparison with the ID photo on record). Empty: the kiosk's "
            "certification says it is not available here."
        ),
    ] = ""
    face_verify_app_id: Annotated[
        str, Field(description="Our app id at the face-verification service.")
    ] = ""
    face_verify_secret: Annotated[
        SecretStr,
        Field(description="The HMAC-SHA256 key our face-verification requests are signed with."),
    ] = SecretStr("")
    face_verify_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            le=60,
            description="Seconds to wait for the face-verification service's answer before "
            "the kiosk tells the citizen to try again.",
        ),
    ] = 10.0
    elderly_cert_actions: Annotated[
        int,
        Field(
            ge=2,
            le=4,
            description="How many randomised actions (blink, open mouth, turn head left or "
            "right) one certification asks for.",
        ),
    ] = 3
