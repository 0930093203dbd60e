"""``/healthz`` (public: load balancers and service managers probe it without credentials,
and it says only "ok" or "degraded") and ``/api/v1/stats/bus`` (``system.read``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from cloud.api.callers import SystemReader
from cloud.api.deps import BusDep, SessionsDep, StatsDep
from cloud.api.errors import error_responses
from cloud.db.session import ping
from cloud.schemas import HealthOut

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


@router.get("/api/v1/stats/bus", responses=error_responses(401, 403))
async def bus_stats(_caller: SystemReader, stats: StatsDep, bus: BusDep) -> dict[str, Any]:
    """Counters of the MQTT worker; ``rejected`` and ``ignored`` are keyed by reason."""
    return stats.snapshot() | {"queue_depth": bus.queue_depth()}
