"""Settings of the job intake's back-pressure (``POST /api/v1/jobs`` answers 429 when the cloud
is behind, docs/jobs.md). Mixed into :class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class JobIntakeSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    job_intake_max_in_flight: Annotated[
        int,
        Field(
            ge=1,
            le=100_000,
            description="Job submissions (POST /api/v1/jobs) this process handles at once; "
            "one more is answered 429 with Retry-After instead of waiting in line, so a "
            "burst beyond what the database can take costs its sender a retry, not every "
            "caller seconds of latency.",
        ),
    ] = 32
    job_intake_max_backlog: Annotated[
        int,
        Field(
            ge=1,
            le=10_000_000,
            description="Device messages (acks, events, telemetry) received and not yet "
            "handled beyond which new job submissions are answered 429: the cloud is "
            "behind on the outcomes of the jobs it already sent.",
        ),
    ] = 2000
    job_intake_retry_after_s: Annotated[
        int,
        Field(
            ge=1,
            le=3600,
            description="Seconds a refused job submission is told to wait (Retry-After) "
            "before sending it again.",
        ),
    ] = 1
    job_wait_max_waiters: Annotated[
        int,
        Field(
            ge=1,
            le=1_000_000,
            description="Long-polls (GET /api/v1/jobs/{id}?wait_s=...) this process holds "
            "open at once; one more is answered 429 with Retry-After (a poll without wait_s "
            "is always answered).",
        ),
    ] = 5000
