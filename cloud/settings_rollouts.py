"""Settings of staged agent rollouts (issue 17). Mixed into :class:`cloud.settings.Settings`
(``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class RolloutSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    rollout_gate_interval_s: Annotated[
        float,
        Field(
            gt=0,
            le=300,
            description="How often, in seconds, the rollout gate looks at every running "
            "rollout: devices' upgrade reports, timeouts, the next wave, orders to send "
            "(an operator's start, pause, resume or abort wakes it at once).",
        ),
    ] = 2.0
    rollout_resend_s: Annotated[
        float,
        Field(
            ge=1,
            le=3600,
            description="An agent.upgrade order a device has not answered (no upgrade event) "
            "for this many seconds is sent again, while the device is online.",
        ),
    ] = 60.0
