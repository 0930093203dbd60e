"""Settings of the city-hall queue adapter (which sites keep the city's own queue system and
how to reach it) and of the ticket's phone link. Mixed into :class:`cloud.settings.Settings`
(``KFLEET_*``); ``docs/city-queue.md`` explains them for operators."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class CityQueueSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    hall_city_queue: Annotated[
        str,
        Field(
            description="Sites that use the city hall's own queue system, as JSON {\"site "
            'path": "http://host:port"}; every other site uses the built-in queue '
            "(docs/city-queue.md).",
        ),
    ] = ""
    hall_city_queue_keys: Annotated[
        SecretStr | None,
        Field(
            description='The API key (X-Api-Key) of each city queue system, as JSON {"site '
            'path": "key"}; a site in hall_city_queue without a key here is refused at start.',
        ),
    ] = None
    hall_city_queue_business: Annotated[
        str,
        Field(
            description="Our service codes mapped to the city system's business types, as JSON "
            '{"service code": "business type"}; a code not listed is sent unchanged.',
        ),
    ] = ""
    hall_city_queue_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            le=60,
            description="Seconds to wait for one answer of a city queue system; a request "
            "that timed out or got a 5xx is tried once more (same X-Request-Id) before the "
            "caller gets a 503.",
        ),
    ] = 5.0
    hall_phone_url: Annotated[
        str,
        Field(
            description="The URL citizens' phones reach this cloud at, for the QR printed on "
            "queue tickets (/t/<token>); empty: public_url.",
        ),
    ] = ""
