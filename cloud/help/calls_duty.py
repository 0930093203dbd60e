"""Who is on duty in the call centre: an operator goes on duty to be rung for the calls of
their site subtree, and off duty to stop (a call ringing them moves to the next operator)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.auth.principal import Principal
from cloud.db.models import utcnow
from cloud.errors import Forbidden
from cloud.help import calls_store as store
from cloud.help.calls import CALLS_KEY, HelpCalls
from cloud.help.calls_tables import HelpDutyRow
from cloud.hub import ChangeHub


@dataclass(frozen=True, slots=True)
class OnDuty:
    operator: str
    name: str
    scope: str
    on_duty: bool
    since: datetime


class Duty:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], hub: ChangeHub, calls: HelpCalls
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._calls = calls

    async def set(self, caller: Principal, on: bool) -> OnDuty:
        """Go on or off duty; calls waiting or ringing are rung again at once."""
        if caller.scope is None:
            raise Forbidden(f"{caller.actor} has no site scope; it cannot be on duty", "no_scope")
        now = utcnow()
        async with self._sessions() as s:
            name = await store.display_name(s, caller)
            row = await store.set_duty(s, caller.actor, name, caller.scope, on, now)
            audit.add(
                s,
                audit.AuditRecord(
                    actor=caller.actor,
                    action="help.duty.on" if on else "help.duty.off",
                    result=audit.Result.OK,
                    site=caller.scope,
                    ip=caller.ip,
                ),
            )
            await s.commit()
            mine = OnDuty(row.operator, row.name, row.scope, row.on_duty, row.since)
        await self._calls.tick()
        self._hub.publish(CALLS_KEY, "duty")
        return mine

    async def mine(self, caller: Principal) -> OnDuty:
        async with self._sessions() as s:
            row = await s.get(HelpDutyRow, caller.actor)
            if row is None:
                return OnDuty(caller.actor, caller.name, caller.scope or "", False, utcnow())
            return OnDuty(row.operator, row.name, row.scope, row.on_duty, row.since)

    async def who(self, scope: str) -> list[OnDuty]:
        """Operators on duty now whose subtree meets ``scope``, longest on duty first."""
        async with self._sessions() as s:
            rows = await store.on_duty(s, scope)
        rows.sort(key=lambda r: r.since)
        return [OnDuty(r.operator, r.name, r.scope, r.on_duty, r.since) for r in rows]
