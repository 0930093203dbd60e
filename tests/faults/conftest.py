"""Fixtures of the fault suite: each test owns its Mosquitto (it may be killed), a printer
simulator, and (in-process) a cloud with short timers and a persistent MQTT session.

Every test here runs twice, once per cloud database (``[sqlite]`` and ``[postgres]``): the
autouse fixture :func:`cloud_db` is parametrized and exports ``KFLEET_DATABASE_URL`` for the
test, so an in-process cloud built from :func:`cloud_settings`, a :class:`CloudProcess` and a
bare ``Settings()`` all use that test's database without asking for it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from simulators.escpos_printer import EscPosPrinterSim
from tests.cloudkit import running_cloud
from tests.faults.databases import PARAMS, SQLITE, fresh_postgres, has_schema
from tests.faults.procs import Mosquitto

CloudEnv = tuple[Parts, httpx.AsyncClient]


@pytest.fixture(params=PARAMS, autouse=True)
def cloud_db(
    request: pytest.FixtureRequest, uid: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The cloud database of this test's run: ``""`` (SQLite in the cloud's data dir) or a
    fresh PostgreSQL database, dropped after the test. Exported as ``KFLEET_DATABASE_URL``,
    which cloud processes inherit and ``Settings`` reads."""
    if request.param == SQLITE:
        monkeypatch.delenv("KFLEET_DATABASE_URL", raising=False)
        yield ""
        return
    server = str(request.getfixturevalue("postgres_url"))  # fails under KFLEET_REQUIRE_SERVERS
    with fresh_postgres(server, f"kf_fault_{uid}") as url:
        monkeypatch.setenv("KFLEET_DATABASE_URL", url)
        yield url
        if not has_schema(url):
            pytest.fail(
                f"the [postgres] run of {request.node.name} never used its database {url}: "
                "its cloud ran on SQLite; build it with cloud_settings() or CloudProcess, or "
                "leave database_url unset (tests/faults/README.md)",
                pytrace=False,
            )


def cloud_settings(
    data_dir: Path, broker_url: str, uid: str, database_url: str | None = None
) -> Settings:
    """A cloud that re-drives quickly, with the fixed client id production uses: a persistent
    session keeps what devices send while the cloud (or the broker) is away. Its database is
    the test's (``KFLEET_DATABASE_URL``, set by :func:`cloud_db`) unless ``database_url`` says
    otherwise."""
    if database_url is None:
        database_url = os.environ.get("KFLEET_DATABASE_URL", "")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        mqtt_url=broker_url,
        mqtt_client_id=f"kfleet-cloud-{uid}",
        secret_key="fault-tests-secret-0123456789abcdef",
        ack_timeout_s=2.0,
        dispatch_interval_s=0.2,
        retry_backoff_s=0.2,
        retry_backoff_cap_s=1.0,
        reconnect_max_s=0.5,
    )


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Mosquitto]:
    with Mosquitto(tmp_path / "mosquitto") as b:
        await b.start()
        yield b


@pytest.fixture
async def printer(tmp_path: Path) -> AsyncIterator[EscPosPrinterSim]:
    async with EscPosPrinterSim(out_dir=tmp_path / "receipts") as sim:
        yield sim


@pytest.fixture
async def cloud_env(
    tmp_path: Path, broker: Mosquitto, uid: str, cloud_db: str
) -> AsyncIterator[CloudEnv]:
    settings = cloud_settings(tmp_path / "cloud", broker.url, uid, cloud_db)
    settings.data_dir.mkdir()
    async with running_cloud(settings) as env:
        yield env
