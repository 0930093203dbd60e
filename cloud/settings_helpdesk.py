"""Settings of the remote-help call centre (issue 16, docs/help-desk.md). Mixed into
:class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field


class HelpDeskSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    help_ring_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            le=600,
            description="Seconds one operator's console rings for a remote-help call before "
            "the next free operator on duty is rung (every operator on duty sees the call in "
            "the queue all along and may take it).",
        ),
    ] = 20.0
    help_wait_limit_s: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="Seconds a citizen's remote-help call may wait unanswered; then it is "
            "recorded as missed and the kiosk tells the citizen what to do instead.",
        ),
    ] = 90.0
    help_missed_when_nobody_on_duty: Annotated[
        bool,
        Field(
            description="A call made while no operator who sees the kiosk's site is on duty is "
            "missed at once (true), or waits up to the wait limit for someone to come on duty "
            "(false).",
        ),
    ] = True
    help_offline_grace_s: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="Seconds an answered call survives its kiosk being offline (a network "
            "drop): back within it, the call goes on; else it ends as dropped and the kiosk, "
            "once back, tells the citizen the call was cut off.",
        ),
    ] = 30.0
    help_recording: Annotated[
        bool,
        Field(
            description="Record remote-help calls. Off by default: nothing is recorded. When "
            "on, every call says so (`recording: true`), the kiosk shows the citizen a "
            "notice before the operator's picture appears, and both sides of each answered "
            "call are written as WebM files under help_recording_dir (docs/help-desk.md). "
            "Needs media_backend=aiortc (the relay's passthrough frames are what is written).",
        ),
    ] = False
    help_recording_dir: Annotated[
        Path | None,
        Field(
            description="Where call recordings are written (one WebM file per side of a "
            "call, in year/month folders). Empty: {data_dir}/recordings. Every cloud "
            "process that may hold a call's streams and every one that serves playback "
            "must see the same directory.",
        ),
    ] = None
    help_recording_days: Annotated[
        int,
        Field(
            ge=1,
            le=3650,
            description="Days a call recording is kept; then its file is deleted and its row "
            "says when (the call record and its audit entries stay).",
        ),
    ] = 90
    help_recording_max_mb: Annotated[
        int,
        Field(
            ge=1,
            le=65536,
            description="The largest one side of one call may grow, MiB of media; beyond it "
            "that recording stops with the reason (the call goes on). About 4 MiB per minute "
            "at the agent's usual 500 kbps.",
        ),
    ] = 512
    help_events_window_s: Annotated[
        float,
        Field(
            ge=1,
            le=3600,
            description="Seconds one `GET /api/v1/help/events` stream stays open; the console's "
            "EventSource then reconnects by itself (a bound on connections a browser left).",
        ),
    ] = 15.0
    help_token_ttl_s: Annotated[
        int,
        Field(
            ge=60,
            le=86400,
            description="Lifetime in seconds of the media tokens a call hands out: the "
            "operator's publish token (WHIP of call-<call>-op) and the kiosk's view token.",
        ),
    ] = 3600
