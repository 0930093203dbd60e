"""Settings of 好差评 (issue 13). Mixed into :class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field


class RatingSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    hall_rating_timeout_s: Annotated[
        float,
        Field(
            ge=5,
            le=600,
            description="How long a window's rating pad waits for the citizen's rating after a "
            "ticket is completed, seconds (then the rating is recorded as timed_out).",
        ),
    ] = 60.0
    hall_ratings_poll_s: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="How often, in seconds, the ratings worker looks for pad requests whose "
            "call failed (recorded as abandoned) and for follow-ups due a reminder.",
        ),
    ] = 5.0
    hall_calendar_file: Annotated[
        Path | None,
        Field(
            description="A JSON file of the State Council's public holidays, an object with "
            "two lists of YYYY-MM-DD dates, holidays and workdays (make-up working days): it "
            "replaces the built-in 2026/2027 lists for the "
            "years it names (follow-up deadlines count working days). Unset: built-in lists.",
        ),
    ] = None
    hall_follow_up_channels: Annotated[
        list[str],
        Field(
            description="The notification channels (notify_channels names) that get the "
            "reminders of 差评 follow-ups; empty: every configured channel.",
        ),
    ] = []
    hall_rating_token_ttl_s: Annotated[
        int,
        Field(
            ge=60,
            le=30 * 86400,
            description="How long a phone rating QR code (/r/{token}) stays valid, seconds.",
        ),
    ] = 3 * 86400
