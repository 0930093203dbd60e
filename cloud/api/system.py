"""``/healthz`` and ``/readyz`` (public: load balancers and service managers probe them
without credentials; they say only ok/degraded/not ready and why) and ``/api/v1/stats/bus``
(``system.read``).

``/healthz``: the process is worth keeping (the database answers). ``/readyz``: send it work
(the schema is migrated, the database answers, the broker is connected, every worker runs).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from cloud.api.callers import SystemReader
from cloud.api.deps import BusDep, SessionsDep, StatsDep, WorkersDep
from cloud.api.errors import error_responses
from cloud.db.session import ping
from cloud.schemas import HealthOut, ReadyOut

router = APIRouter(tags=["system"], responses=error_responses(422, 500))  # 422: NUL in query


@router.get(
    "/healthz",
    responses={
        200: {"model": HealthOut, "description": "the database answers"},
        503: {"model": HealthOut, "description": "the database does not answer (degraded)"},
    },
)
async def healthz(sessions: SessionsDep, bus: BusDep) -> JSONResponse:
    """200 when the database answers; says whether the broker connection is up."""
    db_ok = await ping(sessions)
    body = {"status": "ok" if db_ok else "degraded", "database": db_ok, "mqtt": bus.connected}
    return JSONResponse(body, status_code=200 if db_ok else 503)


@router.get(
    "/readyz",
    responses={
        200: {"model": ReadyOut, "description": "ready for traffic"},
        503: {"model": ReadyOut, "description": "not ready; ``reasons`` says why"},
    },
)
async def readyz(sessions: SessionsDep, bus: BusDep, workers: WorkersDep) -> JSONResponse:
    """200 when migrated, the database answers, the broker is connected and workers run."""
    reasons = []
    if not workers.migrated:
        reasons.append("the database schema has not been migrated by this process yet")
    if not await ping(sessions):
        reasons.append("the database does not answer")
    if not bus.connected:
        reasons.append("not connected to the MQTT broker")
    reasons += [f"worker {name} is not running" for name in workers.stopped()]
    body = ReadyOut(status="not_ready" if reasons else "ready", reasons=reasons)
    return JSONResponse(body.model_dump(), status_code=503 if reasons else 200)


@router.get("/api/v1/stats/bus", responses=error_responses(401, 403))
async def bus_stats(_caller: SystemReader, stats: StatsDep, bus: BusDep) -> dict[str, Any]:
    """Counters of the MQTT worker; ``rejected`` and ``ignored`` are keyed by reason."""
    return stats.snapshot() | {"queue_depth": bus.queue_depth()}
