"""The rollouts' parts, built once by the composition root (``cloud.wiring``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import BlobStore
from cloud.bus import Bus
from cloud.grants import Grants
from cloud.rollouts.gate import RolloutGate
from cloud.rollouts.releases import Releases
from cloud.rollouts.service import RolloutService
from cloud.settings import Settings


@dataclass(frozen=True)
class Rollouts:
    """Releases, the operator side and the gate (its ``run`` is a worker of the app)."""

    releases: Releases
    service: RolloutService
    gate: RolloutGate

    async def run(self) -> None:
        await self.gate.run()


def build_rollouts(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], bus: Bus, blobs: BlobStore
) -> Rollouts:
    gate = RolloutGate(
        sessions,
        bus,
        Grants(settings),
        tick_s=settings.rollout_gate_interval_s,
        resend_s=settings.rollout_resend_s,
    )
    return Rollouts(Releases(sessions, blobs), RolloutService(sessions, gate.wake), gate)
