"""Settings of the 7x24 monitoring streams (``docs/live.md``). Mixed into
:class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from protocols.guide import SITE_PATH

_SITE = re.compile(SITE_PATH)


class MediaMonitorSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    media_monitor_sites: Annotated[
        list[str],
        Field(
            description="Site paths (each with its whole subtree) whose devices' cameras "
            "stream 7x24 as mon-<device>: the monitor worker starts the stream of every "
            "online device with a camera there and stops it when the device goes. JSON, e.g. "
            '["pilot/a", "pilot/b"]; empty: no monitoring streams.',
        ),
    ] = []
    media_monitor_interval_s: Annotated[
        float,
        Field(
            ge=1,
            le=600,
            description="Seconds between two passes of the monitor worker (start missing "
            "streams, stop unwanted ones, write stream health into telemetry).",
        ),
    ] = 10.0
    media_monitor_start_grace_s: Annotated[
        float,
        Field(
            ge=1,
            le=3600,
            description="Seconds a started monitoring stream has to become live before the "
            "worker asks the device again (the retries then back off, doubling up to ten "
            "times this).",
        ),
    ] = 30.0

    @field_validator("media_monitor_sites")
    @classmethod
    def _site_paths(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _SITE.match(v.strip("/"))]
        if bad:
            raise ValueError(
                f"{bad!r}: a monitored site is a site path such as pilot/hall-a (lower-case "
                "words of a-z, 0-9, _ and - joined by /)"
            )
        return sorted({v.strip("/") for v in value})
