"""``/healthz`` and ``/api/v1/stats/bus``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from cloud.api.deps import CloudDep
from cloud.api.errors import error_responses
from cloud.schemas import HealthOut

router = APIRouter(tags=["system"], responses=error_responses(500))


@router.get(
    "/healthz",
    responses={
        200: {"model": HealthOut, "description": "the database answers"},
        503: {"model": HealthOut, "description": "the database does not answer (degraded)"},
    },
)
async def healthz(cloud: CloudDep) -> JSONResponse:
    """200 when the database answers; says whether the broker connection is up."""
    try:
        async with cloud.sessions() as s:
            await s.execute(text("SELECT 1"))
        db_ok = True
    except Exception:
        db_ok = False
    body = {"status": "ok" if db_ok else "degraded", "database": db_ok, "mqtt": cloud.bus.connected}
    return JSONResponse(body, status_code=200 if db_ok else 503)


@router.get("/api/v1/stats/bus")
async def bus_stats(cloud: CloudDep) -> dict[str, Any]:
    """Counters of the MQTT worker; ``rejected`` and ``ignored`` are keyed by reason."""
    return cloud.stats.snapshot() | {"queue_depth": cloud.bus.queue_depth()}
