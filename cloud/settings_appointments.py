"""Settings of appointments (办事预约): how far ahead citizens may book and how often missed
appointments are recorded as no-shows. Mixed into :class:`cloud.settings.Settings`
(``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class AppointmentSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    appointments_days_ahead: Annotated[
        int,
        Field(
            ge=1,
            le=60,
            description="How many days ahead (after today, hall time) a citizen may book an "
            "appointment at the kiosk (docs/kiosk-appointments.md).",
        ),
    ] = 14
    appointments_sweep_s: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="Seconds between sweeps that record booked appointments whose slot "
            "has ended without a check-in as no-shows.",
        ),
    ] = 60.0
    appointments_demo_slots: Annotated[
        bool,
        Field(
            description="Create slots for every hall with services at start (today and the "
            "next two days) when a hall has none; the demo's kiosk platforms turn it on."
        ),
    ] = False
