"""The rollouts' REST shapes (``/api/v1/agent-releases``, ``/api/v1/rollouts``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from cloud.rollouts.service import ROLLOUT_ID_PATTERN, RolloutView
from cloud.rollouts.tables import AgentRelease, RolloutDevice
from cloud.schemas import SITE_PATH_PATTERN, NumberOnly, _In
from protocols.messages import Role
from protocols.upgrade import AGENT_VERSION_PATTERN

RolloutId = Annotated[
    str, Path(pattern=ROLLOUT_ID_PATTERN, description="the rollout: ro- + 24 hex")
]
VersionParam = Annotated[
    str, Path(pattern=AGENT_VERSION_PATTERN, max_length=64, description="the release version")
]
SitePath = Annotated[str, Field(pattern=SITE_PATH_PATTERN, max_length=200)]
RolloutStateName = Literal["running", "paused", "completed", "halted", "aborted"]
WaveStateName = Literal["waiting", "running", "passed", "halted", "stopped"]
MemberStateName = Literal[
    "pending",
    "ordered",
    "downloading",
    "staged",
    "switching",
    "healthy",
    "failed",
    "rolled_back",
    "timed_out",
]


class ReleaseOut(BaseModel):
    """A published agent release."""

    version: str
    sha256: str
    size: int
    #: the wire protocol version the release speaks
    protocol: int
    notes: str
    created_at: datetime
    created_by: str


class WaveIn(_In):
    """One wave: site subtrees (inside the rollout's) and at most how many devices."""

    sites: Annotated[list[SitePath], Field(min_length=1, max_length=50)]
    #: a canary: only the first N devices of these subtrees (site path, id order)
    max_devices: Annotated[int, Field(ge=1, le=100_000), NumberOnly] | None = None


class RolloutIn(_In):
    """A staged rollout of a published release over a site subtree."""

    version: Annotated[str, Field(pattern=AGENT_VERSION_PATTERN, max_length=64)]
    #: the subtree root: every device below it (with the roles) is in some wave
    site: SitePath
    #: omitted: one wave per child site of ``site`` in path order, then ``site``'s own devices
    waves: Annotated[list[WaveIn] | None, Field(min_length=1, max_length=50)] = None
    #: each device must report healthy on the new version this many seconds after its order
    health_window_s: Annotated[int, Field(ge=10, le=3600), NumberOnly] = 300
    #: failed, rolled back or timed-out devices a wave tolerates before the rollout halts
    max_failures: Annotated[int, Field(ge=0, le=100_000), NumberOnly] = 0
    #: device roles included; omitted: all
    roles: Annotated[list[Role] | None, Field(min_length=1, max_length=3)] = None


class WaveOut(BaseModel):
    index: int
    sites: list[str]
    max_devices: int | None
    state: WaveStateName
    devices: int
    healthy: int
    #: failed or timed out
    failed: int
    rolled_back: int


class RolloutOut(BaseModel):
    rollout_id: str
    version: str
    site: str
    state: RolloutStateName
    #: the wave the gate works on now
    current_wave: int
    waves: list[WaveOut]
    health_window_s: int
    max_failures: int
    roles: list[str]
    created_at: datetime
    created_by: str
    ended_at: datetime | None
    #: why it completed, halted or was aborted
    reason: str


class RolloutDeviceOut(BaseModel):
    device_id: str
    site: str
    wave: int
    state: MemberStateName
    #: the version it ran when the rollout started (and goes back to on a halt)
    from_version: str
    ordered_at: datetime | None
    rollback_sent_at: datetime | None
    #: ``health_timeout``, ``offline``, ``checksum``, ``crashed``, ``already_running``, ...
    reason: str
    updated_at: datetime


def release_out(r: AgentRelease) -> ReleaseOut:
    return ReleaseOut(
        version=r.version,
        sha256=r.sha256,
        size=r.size,
        protocol=r.protocol,
        notes=r.notes,
        created_at=r.created_at,
        created_by=r.created_by,
    )


def rollout_out(view: RolloutView) -> RolloutOut:
    row = view.row
    return RolloutOut(
        rollout_id=row.id,
        version=row.version,
        site=row.site_path,
        state=row.state,
        current_wave=row.wave,
        waves=[
            WaveOut(
                index=w.index,
                sites=w.sites,
                max_devices=w.max_devices,
                state=w.state.value,
                **w.counts,
            )
            for w in view.waves
        ],
        health_window_s=row.health_window_s,
        max_failures=row.max_failures,
        roles=list(row.roles),
        created_at=row.created_at,
        created_by=row.created_by,
        ended_at=row.ended_at,
        reason=row.reason,
    )


def device_out(r: RolloutDevice) -> RolloutDeviceOut:
    return RolloutDeviceOut(
        device_id=r.device_id,
        site=r.site_path,
        wave=r.wave,
        state=r.state,
        from_version=r.from_version,
        ordered_at=r.ordered_at,
        rollback_sent_at=r.rollback_sent_at,
        reason=r.reason,
        updated_at=r.updated_at,
    )
