"""Typed dependency aliases: each router takes the parts it uses, never the whole cloud.

The parts live on ``app.state.parts`` (built once by :func:`cloud.wiring.build`). Handlers
open short sessions themselves: with SQLite the process has one connection, so no request
may hold one while it waits (long-polls do).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import BlobStore
from cloud.bus import Bus
from cloud.calls import CallService
from cloud.clocks import DeviceClocks
from cloud.jobs import JobService
from cloud.liveness import LivenessWatch
from cloud.readiness import WorkerBoard
from cloud.schemas import DEVICE_ID_PATTERN, SITE_PATH_PATTERN
from cloud.settings import Settings
from cloud.stats import BusStats
from cloud.wiring import Parts

# The getters are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in its
# thread pool, a thread hand-off per dependency per request for a single attribute read.


def _parts(request: Request) -> Parts:
    parts: Parts = request.app.state.parts
    return parts


async def get_settings(request: Request) -> Settings:
    return _parts(request).settings


async def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    return _parts(request).sessions


async def get_blob_store(request: Request) -> BlobStore:
    return _parts(request).blobs


async def get_bus(request: Request) -> Bus:
    return _parts(request).bus


async def get_stats(request: Request) -> BusStats:
    return _parts(request).stats


async def get_clocks(request: Request) -> DeviceClocks:
    return _parts(request).clocks


async def get_jobs(request: Request) -> JobService:
    return _parts(request).jobs


async def get_calls(request: Request) -> CallService:
    return _parts(request).calls


async def get_liveness(request: Request) -> LivenessWatch:
    return _parts(request).liveness


async def get_workers(request: Request) -> WorkerBoard:
    return _parts(request).workers


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]
BlobStoreDep = Annotated[BlobStore, Depends(get_blob_store)]
BusDep = Annotated[Bus, Depends(get_bus)]
StatsDep = Annotated[BusStats, Depends(get_stats)]
ClocksDep = Annotated[DeviceClocks, Depends(get_clocks)]
JobServiceDep = Annotated[JobService, Depends(get_jobs)]
CallServiceDep = Annotated[CallService, Depends(get_calls)]
LivenessDep = Annotated[LivenessWatch, Depends(get_liveness)]
WorkersDep = Annotated[WorkerBoard, Depends(get_workers)]


#: Ids in a URL path, each with the pattern of the ids the cloud makes or takes, so a malformed
#: one is a 422 and never a lookup (PostgreSQL cannot even compare a NUL).
JOB_ID_PATTERN = r"^[0-9a-f]{32}$"
CALL_ID_PATTERN = r"^call-[0-9a-f]{32}$"
#: a peripheral id comes from the device's birth: 1-64 characters, no NUL, no slash
PERIPHERAL_ID_PATTERN = r"^[^\x00/]{1,64}$"

DevicePathId = Annotated[
    str, Path(pattern=DEVICE_ID_PATTERN, description="a device id: a-z 0-9 _ . -, 1-64 long")
]
JobPathId = Annotated[str, Path(pattern=JOB_ID_PATTERN, description="a job id (32 hex digits)")]
CallPathId = Annotated[str, Path(pattern=CALL_ID_PATTERN, description="a call id (call-…)")]
PeripheralPathId = Annotated[
    str, Path(pattern=PERIPHERAL_ID_PATTERN, description="the peripheral's id in the birth")
]

#: ``?site=``: a site path; the filter includes its subtree
SiteQuery = Annotated[
    str | None,
    Query(pattern=SITE_PATH_PATTERN, description="site path; includes its subtree"),
]
#: ``?device=``: a device id
DeviceQuery = Annotated[str | None, Query(pattern=DEVICE_ID_PATTERN, description="a device id")]
