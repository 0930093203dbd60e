"""``kfleet demo``: broker, cloud and the three Golmud pilot sites on one machine.

Everything runs in one process and one event loop so that Ctrl-C stops it all in order:
agents first (they publish offline), then printers, the cloud, and the broker last.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.app import create_app, seed_sites
from cloud.demo_access import demo_token
from cloud.errors import ConfigError
from cloud.hall.content_demo import publish_demo_content
from cloud.hall.seed import PILOT_HALLS, seed_halls_in
from cloud.kiosk.guide_seed import seed_sample_catalogue
from cloud.people.first_admin import ensure_first_admin
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.sites import PILOT_TREE, SiteSpec
from kfleet.errors import BrokerUnreachable, KfleetError, UsageError
from kfleet.world.demo_banner import banner, curl_line, queue_ticket
from kfleet.world.demo_broker import BrokerPlan, broker_plan, embedded_broker
from kfleet.world.demo_identity import (
    DEMO_ADMIN,
    DeviceLogin,
    enroll_devices,
)
from kfleet.world.demo_kiosk_platforms import KioskPlatforms, with_kiosk_platforms
from kfleet.world.demo_platforms import with_platforms
from kfleet.world.hall_stream import HallStream, hall_streaming
from kfleet.world.paper_cycle import PaperCycle, run_paper_cycle
from kfleet.world.preflight import (
    check_broker,
    check_listen,
    check_port_number,
    parse_broker,
    prepare_data_dir,
)
from kfleet.world.terminal import say
from kfleet.world.world import KioskSpec, RunningKiosk, running_world

log = logging.getLogger(__name__)

__all__ = ["DemoOptions", "DemoWorld", "banner", "curl_line", "queue_ticket", "running_demo"]

#: the pilot devices: three kiosks (receipt printer, ID-card reader, document camera) and
#: one service-window PC (receipt printer, call button, 好差评 rating pad)
PILOT_KIOSKS = [
    KioskSpec(
        "hhl-kiosk-01",
        "qh/hx/golmud/hhl",
        "黄河路街道办事处 1号自助终端",
        full_peripherals=True,
    ),
    KioskSpec(
        "tgls-kiosk-01",
        "qh/hx/golmud/tgls",
        "唐古拉山镇便民服务中心 1号自助终端",
        full_peripherals=True,
    ),
    KioskSpec(
        "bayi-kiosk-01",
        "qh/hx/golmud/bayi",
        "八一社区便民服务点 1号自助终端",
        full_peripherals=True,
    ),
    KioskSpec(
        "hhl-window-01",
        "qh/hx/golmud/hhl",
        "黄河路街道办事处 1号窗口",
        role="window",
        full_peripherals=True,
    ),
    KioskSpec("hhl-screen-01", "qh/hx/golmud/hhl", "黄河路街道办事处 大厅屏", role="hall_screen"),
]
HHL = "qh/hx/golmud/hhl"
#: seconds the stop waits for requests still open (a console's event stream, a long-poll of
#: a device already stopped) before cancelling them; unbounded, each held the stop up to its
#: own window (15-20 s), in every test that ends a world with a console page open
STOP_GRACE_S = 3
#: issue 16 walls: ``kfleet demo`` keeps the pilot kiosks' cameras streaming 7x24 (``/live``)
DEMO_MONITOR_SITES = sorted({k.site for k in PILOT_KIOSKS if k.role == "kiosk"})
PILOT_HALL_SITES = [h.site for h in PILOT_HALLS]
#: ``kfleet demo`` serves these devices' screens (hall screen, window 1's screen) on fixed ports
DEMO_SCREENS: dict[str, dict[str, Any]] = {
    "hhl-screen-01": {"enabled": True, "port": 8091},
    "hhl-window-01": {"enabled": True, "port": 8092, "window": "1"},
}
#: ...and each pilot kiosk's citizen app (``/kiosk``) on its own port
DEMO_KIOSK_SCREENS: dict[str, dict[str, Any]] = {
    "hhl-kiosk-01": {"enabled": True, "port": 8093, "site_name": "黄河路街道办事处"},
    "tgls-kiosk-01": {"enabled": True, "port": 8094, "site_name": "唐古拉山镇便民服务中心"},
    "bayi-kiosk-01": {"enabled": True, "port": 8095, "site_name": "八一社区便民服务点"},
}


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path = Path("kfleet-data")
    broker_url: str | None = None  # None: start the embedded amqtt broker
    host: str = "127.0.0.1"
    port: int = 8080  # 0: any free port
    database_url: str | None = None  # None: SQLite in data_dir
    kiosks: list[KioskSpec] = field(default_factory=lambda: list(PILOT_KIOSKS))
    sites: SiteSpec = PILOT_TREE
    ready_timeout_s: float = 60.0
    #: further cloud settings (``upload_grant_ttl_s``...)
    cloud_settings: dict[str, object] = field(default_factory=dict)
    #: one receipt printer that runs out of paper now and then (``kfleet demo`` turns it on;
    #: None: every printer keeps its paper, as most tests need)
    paper_cycle: PaperCycle | None = None
    #: further agent config keys for every demo device (``tele_interval_s``...)
    agent_settings: dict[str, Any] = field(default_factory=dict)
    #: the cloud's ``tsdb_url`` (a VictoriaMetrics or InfluxDB URL); "": the SQL database
    tsdb_url: str = ""
    #: device id → its ``[screen]`` settings (None of the demo's screens is served unless named)
    screens: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: run the simulated provincial 好差评 platform and forward the demo's ratings to it
    haocha_sim: bool = False
    #: simulated citizens at the pilot halls (``kfleet demo`` turns them on; None: a quiet hall)
    hall_stream: HallStream | None = None
    #: run the kiosk services' outside systems (SMS gateway, departments, city platform)
    kiosk_sims: bool = False


@dataclass(frozen=True)
class DemoWorld:
    base_url: str
    broker_url: str
    kiosks: list[RunningKiosk]
    data_dir: Path
    #: an administrator's API token over the demo's tree (the demo's own calls, and tests')
    token: str = ""
    #: the cloud's database sessions (tests make their users and logins with them)
    sessions: async_sessionmaker[AsyncSession] | None = None
    #: the console password of :data:`DEMO_ADMIN` made at this start (None: made before)
    admin_password: str | None = None
    #: the kiosk services' simulated outside systems (empty unless ``kiosk_sims``)
    platforms: KioskPlatforms = field(default_factory=KioskPlatforms)
    #: the running cloud's parts (issue 16: tests put a stand-in call centre in)
    parts: Parts | None = None

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization`` for an HTTP client of the demo's API."""
        return {"Authorization": f"Bearer {self.token}"}

    def receipts_dir(self, device_id: str) -> Path:
        return self.data_dir / "receipts" / device_id

    def a4_dir(self, device_id: str) -> Path:
        """Where a kiosk's spool A4 printer puts the PDFs it "prints"."""
        return self.data_dir / "a4" / device_id


@dataclass(frozen=True)
class _Cloud:
    base_url: str
    token: str
    sessions: async_sessionmaker[AsyncSession]
    #: the generated password of :data:`DEMO_ADMIN`; None when it existed already
    admin_password: str | None
    logins: dict[str, DeviceLogin]
    parts: Parts | None = None


async def _preflight(opts: DemoOptions) -> int:
    """Every check that can fail fast, in the order a user would fix them; the cloud's port."""
    check_port_number(opts.port)
    endpoint = parse_broker(opts.broker_url) if opts.broker_url is not None else None
    prepare_data_dir(opts.data_dir)
    port = check_listen(opts.host, opts.port)
    if endpoint is not None:
        await check_broker(endpoint)
    return port


def _settings(opts: DemoOptions, plan: BrokerPlan, port: int) -> Settings:
    settings_kwargs: dict[str, object] = {
        "demo": True,
        "data_dir": opts.data_dir,
        "mqtt_url": plan.cloud_url,
        "device_mqtt_url": plan.device_url,
        "host": opts.host,
        "port": port,
    }
    if plan.embedded_port is not None:
        settings_kwargs["broker_acl"] = "embedded"
    if opts.database_url:
        settings_kwargs["database_url"] = opts.database_url
    if opts.tsdb_url:
        settings_kwargs["tsdb_url"] = opts.tsdb_url
    settings_kwargs.update(opts.cloud_settings)
    return Settings.model_validate(settings_kwargs)


@contextlib.asynccontextmanager
async def _cloud(opts: DemoOptions, plan: BrokerPlan, port: int) -> AsyncIterator[_Cloud]:
    """Broker (unless given) and cloud (API, console, bus) on ``port`` with the pilot sites,
    the administrator and every demo device enrolled."""
    try:
        app = create_app(_settings(opts, plan, port))
    except ConfigError as err:  # e.g. a --tsdb URL of a scheme this build does not know
        raise UsageError(f"the cloud cannot start with these options: {err}") from err
    parts: Parts = app.state.parts
    server = _QuietServer(
        uvicorn.Config(
            app,
            host=opts.host,
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=STOP_GRACE_S,
        )
    )
    async with embedded_broker(plan, parts):
        server_task = asyncio.create_task(server.serve(), name="cloud-http")
        try:
            while not server.started:
                if server_task.done():
                    await server_task
                    raise KfleetError(f"the cloud could not start on {opts.host}:{port}")
                await asyncio.sleep(0.05)  # uvicorn exposes no start event
            await seed_sites(app, opts.sites)
            await seed_halls_in(parts.sessions)  # issue 13: the pilots' queues and windows
            # issue 14: the sample service guide (written for the pilot sites' windows)
            if parts.kiosk.catalogue is not None and opts.sites is PILOT_TREE:
                await seed_sample_catalogue(parts.kiosk.catalogue)
            if opts.hall_stream is not None and parts.hall.content is not None:
                await publish_demo_content(parts.hall.content, [HHL], PILOT_HALL_SITES)
            admin_password = await ensure_first_admin(parts.sessions, DEMO_ADMIN)
            token = await demo_token(parts.sessions, opts.sites.code)
            base_url = f"http://{opts.host}:{port}"
            logins = await enroll_devices(base_url, token, opts.kiosks)
            yield _Cloud(base_url, token, parts.sessions, admin_password, logins, parts)
        finally:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await server_task


def _device_settings(
    cloud: _Cloud, screens: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    return {
        device_id: {
            "mqtt": {"username": login.username, "password": login.password},
            "cloud": {"url": cloud.base_url},
            **({"screen": screens[device_id]} if device_id in screens else {}),
        }
        for device_id, login in cloud.logins.items()
    }


@contextlib.asynccontextmanager
async def running_demo(opts: DemoOptions) -> AsyncIterator[DemoWorld]:
    """Start broker (unless given), cloud and kiosks; stop them in reverse order on exit.

    Raises a :class:`~kfleet.errors.KfleetError` saying what to do when an option is wrong,
    the data directory unusable, the port taken or the broker out of reach."""
    port = await _preflight(opts)
    plan = broker_plan(opts.broker_url)
    async with contextlib.AsyncExitStack() as outer:
        settings = await outer.enter_async_context(
            with_platforms(opts.haocha_sim, opts.cloud_settings)
        )
        platforms = KioskPlatforms()
        settings = await outer.enter_async_context(
            with_kiosk_platforms(opts.kiosk_sims, settings, platforms)
        )
        opts = dataclasses.replace(opts, cloud_settings=settings)
        async with _run_world(opts, plan, port) as world:
            yield dataclasses.replace(world, platforms=platforms)


@contextlib.asynccontextmanager
async def _run_world(opts: DemoOptions, plan: BrokerPlan, port: int) -> AsyncIterator[DemoWorld]:
    async with _cloud(opts, plan, port) as cloud, contextlib.AsyncExitStack() as stack:
        try:
            world = running_world(
                opts.kiosks,
                plan.device_url,
                opts.data_dir,
                agent_settings=opts.agent_settings,
                device_settings=_device_settings(cloud, opts.screens),
            )
            kiosks = await stack.enter_async_context(world)
        except TimeoutError as err:
            raise BrokerUnreachable(
                f"the devices could not connect to the MQTT broker at {plan.device_url} within "
                "60 s: check that it is an MQTT broker that lets them in (an open one, or one "
                "that checks kfleet's device credentials: docs/broker-acl.md)"
            ) from err
        if opts.paper_cycle is not None:
            await stack.enter_async_context(_paper_cycling(kiosks, opts.paper_cycle))
        try:
            ids = [k.device_id for k in opts.kiosks]
            await wait_registered(cloud.base_url, cloud.token, ids, opts.ready_timeout_s)
        except TimeoutError as err:
            raise KfleetError(
                f"the cloud did not see every device online within {opts.ready_timeout_s:g} s; "
                "run again with --verbose to see why"
            ) from err
        if opts.hall_stream is not None:
            streaming = hall_streaming(cloud.base_url, cloud.token, kiosks, opts.hall_stream)
            await stack.enter_async_context(streaming)
        yield DemoWorld(
            cloud.base_url,
            plan.device_url,
            kiosks,
            opts.data_dir,
            cloud.token,
            cloud.sessions,
            cloud.admin_password,
            parts=cloud.parts,
        )


@contextlib.asynccontextmanager
async def _paper_cycling(kiosks: list[RunningKiosk], cycle: PaperCycle) -> AsyncIterator[None]:
    """Run ``cycle`` on its device's receipt printer while the demo runs (refilled on exit)."""
    printer = next((k.printer for k in kiosks if k.spec.device_id == cycle.device_id), None)
    if printer is None:
        raise KfleetError(f"the paper cycle names {cycle.device_id!r}, not a device of this demo")
    task = asyncio.create_task(run_paper_cycle(printer.faults, cycle), name="demo-paper-cycle")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_registered(base_url: str, token: str, device_ids: list[str], limit_s: float) -> None:
    """Until the cloud has every kiosk's birth (ingested behind any retained births on the
    broker); only the whole wait is bounded: one slow answer on a loaded machine is no failure."""
    pending = set(device_ids)
    auth = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=limit_s, headers=auth) as client,
        asyncio.timeout(limit_s),
    ):
        while pending:
            for device_id in sorted(pending):
                r = await client.get(f"/api/v1/devices/{device_id}")
                if r.status_code == 200 and r.json().get("online"):
                    pending.discard(device_id)
            if pending:
                await asyncio.sleep(0.05)  # the API offers no push for "device registered"


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """The demo handles SIGINT/SIGTERM itself (orderly stop); uvicorn must not take them
        over and raise them again when it exits."""
        yield


async def run_demo(opts: DemoOptions) -> None:
    """Run until Ctrl-C or SIGTERM, then stop in order; a second Ctrl-C stops at once.

    The stop flag is set before anything is written: with ``| tee`` the same Ctrl-C kills the
    reader of stdout, and no failed write may keep the demo running."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_sigint() -> None:
        if stop.is_set():  # asked twice: the user does not want to wait for the orderly stop
            say("kfleet demo: stopping at once.", err=True)
            os._exit(130)
        on_sigterm()

    def on_sigterm() -> None:
        first = not stop.is_set()
        stop.set()
        if first:
            say("kfleet demo: stopping (Ctrl-C again to stop at once)…")

    loop.add_signal_handler(signal.SIGTERM, on_sigterm)  # service managers stop with SIGTERM
    loop.add_signal_handler(signal.SIGINT, on_sigint)
    async with running_demo(opts) as world:
        say(banner(world))
        if world.platforms.sms is not None:  # the one-time codes reach whoever tries the demo
            world.platforms.sms.on_sent = lambda sms: say(f"  SMS to {sms.phone}: {sms.text}")
        await stop.wait()
