"""``/api/v1/pay/reconciliations``: the daily reconciliation's results (one run per channel
and day, with every difference found) and a run on demand for a finished day. Needs
``audit.read``: reconciliation reads the channels' statements and our orders and stores a
comparison; it moves no money and changes no order (docs/pay-banks.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from cloud import audit
from cloud.api.auth_deps import client_ip, require
from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.errors import Conflict, NotFound, Unprocessable
from cloud.kiosk.parts import Kiosk
from cloud.kiosk.pay.reconcile import ReconcileService, RunResult
from cloud.schemas import _In
from fleet.access import Permission

router = APIRouter(
    prefix="/api/v1/pay/reconciliations",
    tags=["payments"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
Reader = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
ChannelCode = Annotated[str, Field(pattern=r"^(alipay|icbc|ccb)$")]
RunId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
#: a real calendar day of 2000-2099 (month lengths and leap days in the pattern itself, so a
#: string the schema accepts is always a day)
DAY = (
    r"^(20[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    r"|02-(0[1-9]|1[0-9]|2[0-8]))|20([02468][048]|[13579][26])-02-29)$"
)
DayParam = Annotated[str | None, Query(pattern=DAY, description="YYYY-MM-DD (inclusive)")]


def day_of(text: str, what: str) -> date:
    """A calendar day; 2026-02-30 is refused with what was wrong."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Unprocessable(f"{what} {text!r} is not a calendar day (YYYY-MM-DD)") from exc


class RunOut(BaseModel):
    id: str
    channel: str
    day: date
    ran_at: datetime
    #: daily (the worker) or manual
    trigger: str
    #: clean, mismatch or failed
    state: str
    #: why a failed run failed (the gateway's code and message)
    error: str
    ledger_lines: int
    ledger_net_fen: int
    statement_lines: int
    statement_net_fen: int
    matched: int
    mismatched: int


class ItemOut(BaseModel):
    #: amount_differs, state_differs, missing_in_statement or missing_in_ledger
    outcome: str
    out_trade_no: str
    kind: str
    out_refund_no: str
    ledger_fen: int | None
    statement_fen: int | None
    order_id: str
    trade_no: str


class RunDetailOut(RunOut):
    items: list[ItemOut]


class RunIn(_In):
    channel: ChannelCode
    #: a finished day in the hall's time zone (YYYY-MM-DD)
    day: Annotated[str, Field(pattern=DAY)]


class ReconcileOverview(BaseModel):
    #: the channels configured (the ones that can be reconciled)
    channels: list[str]
    runs: list[RunOut]


def _service(kiosk: Kiosk) -> ReconcileService:
    if kiosk.reconcile is None:
        raise Conflict("reconciliation is not running")
    return kiosk.reconcile


def _out(result: RunResult) -> RunDetailOut:
    run = RunOut.model_validate(result.run, from_attributes=True)
    items = [ItemOut.model_validate(i, from_attributes=True) for i in result.items]
    return RunDetailOut(**run.model_dump(), items=items)


@router.get("", response_model=ReconcileOverview, summary="Reconciliation runs, newest first")
async def list_runs(
    caller: Reader,
    kiosk: KioskParts,
    channel: Annotated[str | None, Query(pattern=r"^(alipay|icbc|ccb)$")] = None,
    start: DayParam = None,
    end: DayParam = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReconcileOverview:
    """The runs of one channel or all for days in ``[start, end]`` (default: every day)."""
    service = _service(kiosk)
    first = day_of(start, "start") if start else None
    last = day_of(end, "end") if end else None
    rows = await service.runs(channel, first, last, limit)
    return ReconcileOverview(
        channels=sorted(service.channels),
        runs=[RunOut.model_validate(r, from_attributes=True) for r in rows],
    )


@router.get(
    "/{run_id}",
    response_model=RunDetailOut,
    summary="One run with every difference it found",
    responses=error_responses(404),
)
async def get_run(caller: Reader, kiosk: KioskParts, run_id: RunId) -> RunDetailOut:
    found = await _service(kiosk).detail(run_id)
    if found is None:
        raise NotFound(f"no reconciliation run {run_id}")
    return _out(found)


@router.post(
    "",
    response_model=RunDetailOut,
    status_code=201,
    summary="Reconcile a channel for a finished day now",
    responses=error_responses(
        400,
        409,
        413,
        described={
            400: "the body is not one JSON document",
            409: "day_not_finished (today or later), the channel is not configured, the order "
            "service is not running, or "
            "reconciliation is not running",
            422: "a day that is not a calendar day, or an invalid body",
        },
    ),
)
async def run_now(
    caller: Reader, kiosk: KioskParts, body: RunIn, request: Request, sessions: SessionsDep
) -> RunDetailOut:
    """Downloads the channel's statement for ``day``, compares it with our orders and stores
    the run (audited as ``pay.reconcile.run``); a statement that cannot be read gives a
    ``failed`` run saying why."""
    day = day_of(body.day, "day")
    result = await _service(kiosk).run(body.channel, day, "manual")
    detail: dict[str, object] = {"channel": body.channel, "day": body.day}
    detail |= {"state": result.run.state, "mismatched": result.run.mismatched}
    rec = audit.AuditRecord(
        caller.actor,
        "pay.reconcile.run",
        audit.Result.OK,
        f"reconciliation:{result.run.id}",
        "",
        client_ip(request),
        "",
        detail,
    )
    await audit.write(sessions, rec)
    return _out(result)
