"""Shared fixtures: real servers for integration tests.

Real-server tests use ``KFLEET_TEST_MQTT_URL`` (Mosquitto) and ``KFLEET_TEST_DATABASE_URL``
(PostgreSQL) when set. Without them a local ``mosquitto`` binary is started if there is one.
The IPP printer is CUPS's ippeveprinter, started here (root, in a private mount namespace).
With ``KFLEET_REQUIRE_SERVERS=1`` (set by ``.ci/run``) a missing server FAILS the test
instead of skipping it, so CI can never go green by not running them.

Parallel runs (pytest-xdist, ``-n auto`` in the README's command): each worker is its own
process with its own session fixtures (amqtt, ippeveprinter, PostgreSQL databases named by
uuid). Tests publish under the same ``kf/`` topics and clear retained messages after
themselves, so each worker also gets its OWN Mosquitto (see :func:`mosquitto_url`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlparse

import aiomqtt
import pytest
from hypothesis import HealthCheck, settings

from kfleet.world.net import free_port, wait_port
from protocols.mqtt_url import parse_mqtt_url
from simulators.ippeveprinter import IppServer, IppUnavailable, running_ippeveprinter
from tests.suite_time import (  # noqa: F401  (the files' order for xdist, and their times)
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)
from tests.vmkit import victoriametrics  # noqa: F401  (a VictoriaMetrics per worker)

if TYPE_CHECKING:
    from tests.migrated_template import MigratedTemplate

# Shared 2-core machines: timing-based health checks would make property tests flaky.
settings.register_profile("kfleet", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kfleet")

REQUIRE = os.environ.get("KFLEET_REQUIRE_SERVERS") == "1"

#: How long a test waits for a ``python -m kfleet …`` process it started to come up, do its
#: work and stop. Importing the CLI alone took 35-42 s of wall time at load 21 on 2 cores (2 s
#: of CPU), and test_haocha_cli took 48 s of its 60 s bound there.
CLI_PROCESS_S = 180


def require_or_skip(what: str) -> NoReturn:
    """The ONE way a test steps aside because its environment lacks ``what`` (a server, a
    binary, a font, root): a skip on a developer's machine, a FAILURE under
    ``KFLEET_REQUIRE_SERVERS=1`` (CI), so CI can never go green by not running a test.
    ``tests/unit/test_house_rules.py`` refuses any other ``pytest.skip``/``skipif``."""
    msg = f"{what} is not available"
    if REQUIRE:
        pytest.fail(f"{msg}, and KFLEET_REQUIRE_SERVERS=1 says it must be", pytrace=False)
    pytest.skip(msg)


#: the old name, kept for code written against it
_missing = require_or_skip


def mosquitto_binary() -> str:
    """The local ``mosquitto`` executable, or a skip (a failure in CI) without one."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        require_or_skip("Mosquitto (apt-get install mosquitto)")
    return binary


@pytest.fixture(scope="session")
def amqtt_url() -> Iterator[str]:
    """The embedded amqtt broker (MQTT 3.1.1), in its own process so its leaks stay there."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kfleet.world.broker", "--port", str(port), "--allow-anonymous"],
    )
    try:
        wait_port("127.0.0.1", port)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def xdist_worker() -> str:
    """This process's pytest-xdist worker id (``gw0``, ``gw1``…), or ``""`` when the suite runs
    in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def shared_mqtt_url() -> str | None:
    """``KFLEET_TEST_MQTT_URL`` when this run may use that one broker, else None (start a
    private one). Under xdist it may not: two workers' tests on one broker would see each
    other's births and commands (fixed ids such as the fuzz kiosk's), and one worker's
    retained-message sweep (:func:`_fresh_broker`) would wipe what the other's test needs."""
    if xdist_worker():
        return None
    return os.environ.get("KFLEET_TEST_MQTT_URL") or None


@pytest.fixture(scope="session")
def mosquitto_url() -> Iterator[str]:
    """A real Mosquitto 2 broker: ``KFLEET_TEST_MQTT_URL``'s in a one-process run, else one
    started here from the local binary (one per xdist worker, see :func:`shared_mqtt_url`)."""
    url = shared_mqtt_url()
    if url:
        parsed = urlparse(url)
        try:
            wait_port(parsed.hostname or "127.0.0.1", parsed.port or 1883, timeout=5)
        except OSError:
            require_or_skip(f"Mosquitto at {url}")
        yield url
        return
    binary = mosquitto_binary()
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="kf-mosq-"))
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay true\nlog_dest none\n"
    )
    proc = subprocess.Popen([binary, "-c", str(conf)])
    try:
        wait_port("127.0.0.1", port)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def ipp_printer() -> Iterator[IppServer]:
    """The real CUPS ippeveprinter (IPP Everywhere), in a private mount namespace."""
    try:
        with running_ippeveprinter() as server:
            yield server
    except IppUnavailable as err:
        require_or_skip(f"ippeveprinter ({err})")


@pytest.fixture(params=["amqtt", "mosquitto"])
def broker_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on both brokers: MQTT 3.1.1 (amqtt) and Mosquitto 2."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A real PostgreSQL server's SQLAlchemy URL (``postgresql+psycopg://...``)."""
    url = os.environ.get("KFLEET_TEST_DATABASE_URL")
    if not url:
        require_or_skip("PostgreSQL (set KFLEET_TEST_DATABASE_URL)")
    return str(url)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``small_disk("256k")``: a tmpfs of that size of the test's own, for a real ENOSPC
    (mounting needs root, as CI has; elsewhere the test is skipped, and fails in CI)."""
    mounts: list[Path] = []

    def make(size: str) -> Path:
        if os.geteuid() != 0:
            require_or_skip("root (to mount a tmpfs for a real ENOSPC)")
        mount = tmp_path / f"disk{len(mounts)}"
        mount.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True
        )
        mounts.append(mount)
        return mount

    yield make
    for mount in mounts:  # lazy: a file a failed test left open must not fail the teardown
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


@pytest.fixture
def uid() -> str:
    """A short unique suffix: tests share brokers, so ids and topics must not collide."""
    return uuid.uuid4().hex[:8]


async def clear_retained(url: str, prefix: str = "kf/") -> int:
    """Clear every retained message under ``prefix`` on the broker at ``url``.

    A SUBSCRIBE makes the broker send what it retains; a message we publish right after comes
    back behind those (one ordered queue for our client), so it marks their end."""
    ep = parse_mqtt_url(url)
    mark = f"{prefix}sweep/{uuid.uuid4().hex}"
    topics: list[str] = []
    async with (
        asyncio.timeout(15),
        aiomqtt.Client(ep.host, ep.port, identifier=f"sweeper-{uuid.uuid4().hex[:8]}") as c,
    ):
        await c.subscribe(f"{prefix}#", qos=1)
        await c.publish(mark, b"end", qos=1)
        async for message in c.messages:
            if message.topic.value == mark:
                break
            if message.retain and message.payload:
                topics.append(message.topic.value)
        for topic in topics:
            await c.publish(topic, b"", qos=1, retain=True)
    return len(topics)


@pytest.fixture(autouse=True)
def _fresh_broker(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that used a shared broker, clear what it left retained (births, states),
    so the next test's cloud does not start by ingesting every device that ever ran."""
    urls = {  # the test asks for these anyway; read them now, before they are torn down
        str(request.getfixturevalue(name))
        for name in ("mosquitto_url", "amqtt_url", "broker_url")
        if name in request.fixturenames
    }
    yield
    for url in urls:
        with contextlib.suppress(Exception):  # a broker the test killed: nothing to clear
            asyncio.run(clear_retained(url))


@pytest.fixture(scope="session")
def _migrated_template() -> Iterator[MigratedTemplate]:
    """This process's migrated SQLite template (tests/migrated_template.py), made on first use."""
    from tests.migrated_template import MigratedTemplate  # imports the cloud: only when used

    template = MigratedTemplate()
    yield template
    template.remove()


@pytest.fixture(autouse=True)
def _migrate_from_template(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new SQLite database starts as a copy of the migrated template instead of running
    every migration again (tests/migrated_template.py); ``real_migrations`` tests opt out."""
    from cloud.db import migrate
    from tests.migrated_template import enabled

    if not enabled() or request.node.get_closest_marker("real_migrations"):
        return
    template: MigratedTemplate = request.getfixturevalue("_migrated_template")
    monkeypatch.setattr(migrate, "upgrade", template.upgrade)


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: pytest.Item | pytest.Collector) -> None:
    """Keep the 5-minute limit (``timeout`` in pyproject.toml) on the teardown of a FAILED test.

    pytest-timeout stops its timer on every failure, so that a ``--pdb`` session is not cut
    short; the fixtures' teardown then ran without a limit, and one that hung after a failure
    (a cloud waiting on a broker the test left in a bad state) held a whole CI run. Without
    ``--pdb``, arm a fresh timer for the rest of the test (pytest-timeout cancels it at the
    end of the test as usual)."""
    if not isinstance(node, pytest.Item) or node.config.getoption("usepdb", False):
        return
    plugin = sys.modules.get("pytest_timeout")
    item_settings = getattr(plugin, "_get_item_settings", None)
    if item_settings is None:  # pytest-timeout absent (or renamed its helper): nothing to re-arm
        return
    settings = item_settings(node)
    if settings.timeout and settings.timeout > 0 and not settings.func_only:
        node.config.pluginmanager.hook.pytest_timeout_set_timer(item=node, settings=settings)
