"""Settings of the message service. Mixed into :class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class NotifySettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    notify_channels: Annotated[
        SecretStr | None,
        Field(
            description="The notification channels as a JSON list (webhook, mqtt, sms; "
            "docs/notifications.md); alert rules name them. Holds secrets: never logged "
            "nor shown by the API. Unset: notify_channels_file, else no channels."
        ),
    ] = None
    notify_channels_file: Annotated[
        Path | None,
        Field(description="A file holding the channels' JSON list instead of notify_channels."),
    ] = None
    notify_max_attempts: Annotated[
        int,
        Field(
            ge=1,
            le=100,
            description="Attempts to deliver one notification on one channel before it is "
            "marked dead with its last error.",
        ),
    ] = 8
    notify_backoff_s: Annotated[
        float,
        Field(
            ge=0,
            description="Seconds before the first retry of a notification; doubled for each "
            "further attempt (a receiver's Retry-After, when longer, wins).",
        ),
    ] = 5.0
    notify_backoff_cap_s: Annotated[
        float,
        Field(ge=0, description="Longest delay between two attempts of a notification, seconds."),
    ] = 900.0
    notify_lease_s: Annotated[
        float,
        Field(
            gt=0,
            description="Seconds a cloud instance holds a notification while sending it; if "
            "the instance dies, another sends it after this (receivers drop the repeat by key).",
        ),
    ] = 60.0
    notify_poll_s: Annotated[
        float,
        Field(
            gt=0,
            description="How often, in seconds, the notification worker looks for retries "
            "that came due and for work queued by another cloud instance.",
        ),
    ] = 2.0
