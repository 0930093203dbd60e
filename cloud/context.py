"""The parts of one running cloud, wired together once and shared by API, bus and dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cloud.bus import Bus
from cloud.clocks import DeviceClocks
from cloud.db.session import make_engine, make_sessions
from cloud.dispatcher import Dispatcher
from cloud.hub import ChangeHub
from cloud.ingest import Ingest
from cloud.settings import Settings
from cloud.stats import BusStats


@dataclass
class Cloud:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    hub: ChangeHub
    stats: BusStats
    bus: Bus
    dispatcher: Dispatcher
    clocks: DeviceClocks


def build(settings: Settings) -> Cloud:
    """Create the parts; nothing connects until the app's lifespan runs them."""
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    hub = ChangeHub()
    stats = BusStats(hub)
    clocks = DeviceClocks(settings.clock_skew_warn_ms)
    ingest = Ingest(
        settings,
        sessions,
        hub,
        stats,
        on_online=lambda d: dispatcher.device_online(d),
        rebirth=lambda d: dispatcher.send_rebirth(d),
        clocks=clocks,
    )
    bus = Bus(settings, stats, ingest.handle_batch)
    dispatcher = Dispatcher(settings, sessions, hub, bus, clocks)
    return Cloud(settings, engine, sessions, hub, stats, bus, dispatcher, clocks)
