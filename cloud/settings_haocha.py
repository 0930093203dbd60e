"""Settings of the 好差评 forwarder (``cloud/hall/haocha``). Mixed into
:class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class HaochaSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    haocha_url: Annotated[
        str,
        Field(
            description="Base URL of the provincial 好差评 platform's API (docs/haocha.md). "
            "Empty: forwarding is off and ratings stay pending (the console says so)."
        ),
    ] = ""
    haocha_app_id: Annotated[
        str, Field(description="The app id the provincial platform issued to this system.")
    ] = ""
    haocha_secret: Annotated[
        SecretStr,
        Field(description="The secret that signs requests to the provincial platform (HMAC)."),
    ] = SecretStr("")
    haocha_timeout_s: Annotated[
        float,
        Field(gt=0, description="Seconds to wait for the provincial platform's answer."),
    ] = 10.0
    haocha_backoff_s: Annotated[
        float,
        Field(
            gt=0,
            description="Ceiling in seconds of the first retry of a rating the platform could "
            "not take; doubled per attempt (full jitter; its Retry-After, when longer, wins).",
        ),
    ] = 5.0
    haocha_backoff_cap_s: Annotated[
        float,
        Field(gt=0, description="Largest ceiling between two attempts of a rating, seconds."),
    ] = 900.0
    haocha_poll_s: Annotated[
        float,
        Field(gt=0, description="How often, in seconds, the forwarder looks for due ratings."),
    ] = 5.0
    haocha_notify_channels: Annotated[
        list[str],
        Field(
            description="The notification channels (notify_channels names) told when the "
            "provincial platform refuses a rating or forwarding keeps failing; empty: every "
            "configured channel."
        ),
    ] = []
    haocha_alarm_after_s: Annotated[
        float,
        Field(
            gt=0,
            description="Tell the channels once when every submit to the provincial platform "
            "has failed for this many seconds (ratings stay pending meanwhile).",
        ),
    ] = 3600.0
