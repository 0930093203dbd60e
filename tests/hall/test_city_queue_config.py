"""Which sites use the city system, read from the settings; every mistake refused at start
with the setting's name and what to write."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from cloud.app import create_app
from cloud.errors import ConfigError
from cloud.hall.backends import QueueBackends, QueueNotRunning
from cloud.hall.city_queue import CityQueue
from cloud.hall.city_queue_config import CityEndpoint, CityQueueConfig
from cloud.settings import Settings
from cloud.settings_city_queue import CityQueueSettings

SITE = "qh/hx/golmud/hhl"


def settings(urls: str, keys: str | None = None, business: str = "") -> CityQueueSettings:
    return CityQueueSettings(
        hall_city_queue=urls,
        hall_city_queue_keys=SecretStr(keys) if keys is not None else None,
        hall_city_queue_business=business,
    )


def test_sites_keys_and_business_types_are_read() -> None:
    config = CityQueueConfig.from_settings(
        settings(
            f'{{"{SITE}": "http://10.1.2.3:8086/"}}', f'{{"{SITE}": "k1"}}', '{"household": "HJ"}'
        )
    )
    assert config.sites == {SITE: CityEndpoint("http://10.1.2.3:8086", "k1")}
    assert config.business == {"household": "HJ"}


def test_nothing_configured_is_no_city_site() -> None:
    assert CityQueueConfig.from_settings(settings("")).sites == {}


@pytest.mark.parametrize(
    ("urls", "keys", "said"),
    [
        ("{not json", None, "KFLEET_HALL_CITY_QUEUE is not valid JSON"),
        ('["http://x"]', None, "must be a JSON object of strings"),
        (f'{{"{SITE}": "ftp://x"}}', f'{{"{SITE}": "k"}}', "not an http(s) URL"),
        (f'{{"{SITE}": "http://x:1"}}', None, "KFLEET_HALL_CITY_QUEUE_KEYS has no API key"),
    ],
)
def test_a_mistake_is_refused_naming_the_setting(urls: str, keys: str | None, said: str) -> None:
    with pytest.raises(ConfigError) as err:
        CityQueueConfig.from_settings(settings(urls, keys))
    assert said in str(err.value)


async def test_backend_for_picks_the_city_system_only_for_its_sites() -> None:
    city = CityQueue(CityQueueConfig({SITE: CityEndpoint("http://127.0.0.1:9", "k")}))
    backends = QueueBackends(builtin=None, city=city)
    try:
        assert backends.backend_for(SITE) is city
        with pytest.raises(QueueNotRunning) as err:
            backends.backend_for("qh/xn")
        assert err.value.status_code == 503
    finally:
        await backends.aclose()


def test_the_cloud_refuses_to_start_with_a_bad_city_setting(tmp_path: Path) -> None:
    keys = SecretStr('{"qh/xn": "k"}')
    bad = Settings(demo=True, data_dir=tmp_path, hall_city_queue=f'{{"{SITE}": "http://x:1"}}')
    with pytest.raises(ConfigError, match="KFLEET_HALL_CITY_QUEUE_KEYS has no API key"):
        create_app(bad.model_copy(update={"hall_city_queue_keys": keys}))
