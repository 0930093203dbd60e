"""Peripheral calls from the cloud side: check, record, send, and apply the device's answer.

An operator console (or the window app) posts an action for one peripheral of one device and
gets a call id at once (202); the device answers on ``ack`` and the call settles
(``succeeded`` with a result, ``failed``, ``rejected``), which ``GET /api/v1/calls/{id}``
long-polls for. A call is never queued or retried: a device that is offline gets none (409),
and one that never answers has the call reported ``expired``. Calls are recorded in the
database, so any cloud worker can apply the answer and serve the long-poll.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.auth.principal import Principal
from cloud.bus import Bus
from cloud.db import calls as call_repo
from cloud.db import devices as device_repo
from cloud.db.models import Device, PeripheralCallRow, utcnow
from cloud.errors import BusUnavailable, Conflict, NotFound, Unprocessable
from cloud.hub import ChangeHub
from cloud.reasons import Ignored, Rejected
from cloud.schemas import CallOut
from cloud.stats import BusStats
from fleet.peripherals import find
from protocols.calls import ACTIONS, REPLY_GRACE_S, duration_s
from protocols.jobs import AckState
from protocols.messages import AckBody, PeripheralCall

SETTLED = frozenset({"succeeded", "failed", "rejected", "expired"})
#: a device's ack state → the call's state
_STATE = {
    AckState.ACCEPTED: "running",
    AckState.RUNNING: "running",
    AckState.SUCCEEDED: "succeeded",
    AckState.FAILED: "failed",
    AckState.REJECTED: "rejected",
    AckState.CANCELED: "failed",
    AckState.UNCERTAIN: "failed",
}


def to_out(row: PeripheralCallRow) -> CallOut:
    return CallOut.model_validate(row, from_attributes=True)


class CallService:
    """Peripheral calls behind the REST API: create, then read or wait for the answer."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], hub: ChangeHub, bus: Bus
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._bus = bus

    async def create(
        self, device_id: str, peripheral: str, action: str, args: dict[str, Any], caller: Principal
    ) -> CallOut:
        """Check the call against the device's last birth, record it (with its audit row) and
        send it. A device outside ``caller``'s scope is answered as an unknown one."""
        async with self._sessions() as s:
            device = await device_repo.require(s, device_id)
            site = await device_repo.site_path(s, device.site_id)
            if not caller.sees(site):
                raise device_repo.not_found(device_id)
            checked, _kind = _check(device, peripheral, action, args)
            if not device.online:
                raise Conflict(
                    f"device {device_id} is offline (last seen {device.last_seen or 'never'}); "
                    "peripheral calls are not queued: try again when it is back online"
                )
            now = utcnow()
            row = PeripheralCallRow(
                id=f"call-{uuid.uuid4().hex}",  # readable in logs; answers are told by ``subject``
                device_id=device_id,
                peripheral=peripheral,
                action=action,
                args=checked.model_dump(mode="json"),
                state="sent",
                reason="",
                message="",
                created_at=now,
                updated_at=now,
                expires_at=now + timedelta(seconds=duration_s(checked) + REPLY_GRACE_S),
            )
            s.add(row)
            _audit(s, caller, row, site, audit.Result.OK, f"{peripheral} {action}")
            await s.commit()
            body = PeripheralCall(
                call_id=row.id, peripheral=peripheral, action=action, args=row.args
            )
            try:
                await self._bus.send_command(device_id, body, ttl_ms=int(REPLY_GRACE_S * 1000))
            except BusUnavailable as err:
                _settle(row, "failed", "offline", str(err))
                _audit(s, caller, row, site, audit.Result.FAILED, str(err))
                await s.commit()
                raise
            return to_out(row)

    async def get(self, call_id: str, caller: Principal, wait_s: float = 0) -> CallOut:
        """The call; with ``wait_s``, as soon as it settles (or when the wait is over)."""
        async with self._hub.subscribe(f"call:{call_id}") as sub:
            async with self._sessions() as s:
                row = await _require(s, call_id)
                device = await device_repo.get(s, row.device_id)
                site = await device_repo.site_path(s, device.site_id) if device else ""
                if not caller.sees(site):
                    raise _not_found(call_id)
                if row.state in SETTLED or wait_s <= 0:
                    return to_out(row)
                until_expiry = (row.expires_at - utcnow()).total_seconds()
            # no session is held while waiting: SQLite has one connection for the process
            await sub.wait_for(lambda state: state in SETTLED, min(wait_s, max(0.0, until_expiry)))
        async with self._sessions() as s:
            row = await _require(s, call_id)
            if row.state not in SETTLED and row.expires_at <= utcnow():
                _settle(row, "expired", "expired", "the device did not answer in time")
                await s.commit()
            return to_out(row)


def _check(
    device: Device, peripheral: str, action: str, args: dict[str, Any]
) -> tuple[BaseModel, str]:
    """The validated arguments of ``action`` on ``peripheral`` (per the device's birth)."""
    states = device_repo.peripherals(device)
    info = find(states, peripheral)
    if info is None:
        known = ", ".join(sorted(p.id for p in states)) or "none"
        raise NotFound(f"device {device.id} has no peripheral {peripheral!r} (it has: {known})")
    actions = ACTIONS.get(info.kind, {})
    model = actions.get(action)
    if model is None:
        offered = ", ".join(sorted(actions)) or "no actions"
        raise NotFound(
            f"peripheral {peripheral} of device {device.id} is a {info.kind or 'peripheral'}, "
            f"which has no action {action!r}; it offers: {offered}"
        )
    try:
        return model.model_validate(args), info.kind
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'body'}: {e['msg']}"
            for e in err.errors(include_input=False)
        )
        raise Unprocessable(f"the body of a {action} call is invalid: {problems}") from None


async def apply_reply(
    sessions: async_sessionmaker[AsyncSession],
    hub: ChangeHub,
    stats: BusStats,
    device_id: str,
    body: AckBody,
) -> None:
    """A device's answer to a call: settle it (a late or repeated answer changes nothing)."""
    async with sessions() as s:
        row = await call_repo.get(s, body.job_id)
        if row is None:
            return stats.reject(Rejected.UNKNOWN_CALL, f"ack from {device_id} for {body.job_id}")
        if row.device_id != device_id:
            return stats.reject(
                Rejected.CALL_WRONG_DEVICE, f"{device_id} answered call {row.id} of {row.device_id}"
            )
        state = _STATE[body.state]
        if row.state in SETTLED or (state == "running" and row.state == "running"):
            return stats.ignore(Ignored.STALE_CALL_ACK, f"{row.id}: {row.state} then {state}")
        _settle(row, state, body.reason, body.message, dict(body.result) or None)
        await s.commit()
    hub.publish(f"call:{row.id}", state)
    hub.publish(f"device:{device_id}", "call")


def _settle(
    row: PeripheralCallRow,
    state: str,
    reason: str,
    message: str,
    result: dict[str, Any] | None = None,
) -> None:
    row.state, row.reason, row.message = state, reason[:64], message[:1024]
    if result is not None:
        row.result = result
    row.updated_at = utcnow()


def _not_found(call_id: str) -> NotFound:
    """An unknown call, or one to a device outside the caller's scope (the same words)."""
    return NotFound(f"there is no peripheral call {call_id!r}")


async def _require(s: AsyncSession, call_id: str) -> PeripheralCallRow:
    row = await call_repo.get(s, call_id)
    if row is None:
        raise _not_found(call_id)
    return row


def _audit(
    s: AsyncSession,
    caller: Principal,
    row: PeripheralCallRow,
    site: str,
    result: audit.Result,
    message: str,
) -> None:
    """The ``call.create`` row, in the call's own transaction."""
    audit.add(
        s,
        audit.AuditRecord(
            actor=caller.actor,
            action="call.create",
            result=result,
            target=f"device:{row.device_id}",
            site=site,
            ip=caller.ip,
            message=message,
            detail={"call": row.id, "peripheral": row.peripheral, "action": row.action},
        ),
    )
