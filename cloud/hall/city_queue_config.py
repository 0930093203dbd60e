"""Which sites use the city hall's queue system, read from the settings once at start.

A mistake (bad JSON, a URL that is not http(s), a site without its API key) is a
:class:`~cloud.errors.ConfigError` naming the setting and what to write instead, so the cloud
refuses to start rather than failing the first citizen who takes a ticket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cloud.errors import ConfigError
from cloud.settings_city_queue import CityQueueSettings


@dataclass(frozen=True, slots=True)
class CityEndpoint:
    url: str
    api_key: str


@dataclass(frozen=True, slots=True)
class CityQueueConfig:
    #: site path → its city queue system
    sites: dict[str, CityEndpoint] = field(default_factory=dict)
    #: our service code → the city system's business type
    business: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: CityQueueSettings) -> CityQueueConfig:
        urls = _json_map("hall_city_queue", settings.hall_city_queue)
        raw_keys = settings.hall_city_queue_keys
        keys = _json_map(
            "hall_city_queue_keys", raw_keys.get_secret_value() if raw_keys is not None else ""
        )
        sites = {}
        for site, url in urls.items():
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(
                    f"KFLEET_HALL_CITY_QUEUE: {url!r} for site {site!r} is not an http(s) "
                    "URL; write it as http://host:port"
                )
            if not keys.get(site):
                raise ConfigError(
                    f"KFLEET_HALL_CITY_QUEUE_KEYS has no API key for site {site!r}; add "
                    f'{{"{site}": "<the key the city system gave you>"}}'
                )
            sites[site] = CityEndpoint(url.rstrip("/"), keys[site])
        business = _json_map("hall_city_queue_business", settings.hall_city_queue_business)
        return cls(sites, business, settings.hall_city_queue_timeout_s)


def _json_map(name: str, text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as err:
        raise ConfigError(f"KFLEET_{name.upper()} is not valid JSON ({err}); {_SHAPE}") from err
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items()
    ):
        raise ConfigError(f"KFLEET_{name.upper()} must be a JSON object of strings; {_SHAPE}")
    return dict(value)


_SHAPE = 'write it like {"qh/hx/golmud/hhl": "..."} (docs/city-queue.md)'
