"""The call centre's service (``parts.help.calls``): kiosks call, operators on duty are rung,
one accepts, the call ends — or nobody answers and it is missed.

Every change is decided by ``fleet.help_calls`` and written over the version it was decided
on (two operators accepting at once: one wins, the other gets 409 ``call_taken``), with its
audit row in the same transaction. After each change the consoles' event stream and the
kiosk's long-poll hear of it (``ChangeHub``), ``on_change`` listeners are told, and — when a
call is answered or over — the kiosk's camera stream is started or stopped through
``parts.media``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.auth.principal import Principal
from cloud.db.models import utcnow
from cloud.help import calls_store as store
from cloud.help.calls_audit import record_of
from cloud.help.calls_media import CallStreams
from cloud.help.calls_model import (
    CallNotFound,
    CallStateConflict,
    CallTaken,
    CallView,
    NoKioskSite,
    Query,
    ref_of,
)
from cloud.help.calls_tables import HelpCallRow
from cloud.help.ref import CallRef
from cloud.hub import ChangeHub
from fleet import help_calls as decide
from fleet.access import PersonRole
from fleet.errors import IllegalTransition
from fleet.help_calls import Call, Operator, Timing

log = logging.getLogger(__name__)
#: the hub key every change of any call is published on (value: the call id)
CALLS_KEY = "help:calls"
Listener = Callable[[CallRef], Awaitable[None] | None]
Decide = Callable[[Call, list[Operator]], Call]
_RACE_RETRIES = 8


@dataclass(frozen=True, slots=True)
class NewCall:
    """A kiosk's request for help (``POST /api/v1/kiosk/help/calls``)."""

    request_id: str
    lang: str
    screen: str
    source: str


class HelpCalls:
    """Calls: create, ring, accept, end, cancel, miss; implements ``CallDirectory``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        timing: Timing,
        streams: CallStreams,
        recording: bool = False,
    ) -> None:
        self._sessions = sessions
        self.hub = hub
        self.timing = timing
        self.streams = streams
        self._recording = recording
        self._listeners: list[Listener] = []
        self._creating: dict[str, asyncio.Lock] = {}

    def on_change(self, listener: Listener) -> None:
        """Call ``listener`` with the call after each change of its state (sync or async)."""
        self._listeners.append(listener)

    async def get(self, call_id: str) -> CallRef | None:
        async with self._sessions() as s:
            row = await s.get(HelpCallRow, call_id)
            return None if row is None else ref_of(row)

    async def view(self, call_id: str) -> CallView:
        async with self._sessions() as s:
            row = await s.get(HelpCallRow, call_id)
            if row is None:
                raise CallNotFound(f"no remote-help call {call_id}")
            return (await store.views(s, [row]))[0]

    async def list(self, query: Query) -> list[CallView]:
        async with self._sessions() as s:
            return await store.views(s, await store.listed(s, query))

    async def create(self, kiosk: Principal, new: NewCall) -> CallView:
        """The kiosk's call (the same request, or any call of this kiosk not over yet, is
        the same call), rung to an operator at once — or missed with nobody on duty."""
        site = kiosk.device_site
        if not site:
            raise NoKioskSite()
        # the tile and the button pressed at once: one call (in this process; across
        # processes the request id still makes a retry the same call)
        async with self._creating.setdefault(kiosk.name, asyncio.Lock()):
            for _ in range(_RACE_RETRIES):
                try:
                    call_id = await self._insert(kiosk.name, site, new)
                except IntegrityError:  # the same request at the same moment: read it back
                    continue
                return await self.view(call_id)
        raise CallStateConflict("the call could not be stored; try again")

    async def _insert(self, device_id: str, site: str, new: NewCall) -> str:
        now = utcnow()
        async with self._sessions() as s:
            existing = await store.same_request(s, device_id, new.request_id)
            existing = existing or await store.open_call_of(s, device_id)
            if existing is not None:
                return existing.call_id
            draft = Call(state="waiting", created_at=now)
            after = decide.on_create(draft, await store.operators_for(s, site), self.timing, now)
            row = HelpCallRow(
                call_id=f"hc-{secrets.token_hex(12)}",
                device_id=device_id,
                request_id=new.request_id,
                site_path=site,
                source=new.source,
                lang=new.lang,
                screen=new.screen,
                state=after.state,
                created_at=now,
                ringing_to=after.ringing_to,
                ringing_since=after.ringing_since,
                rung=list(after.rung),
                ended_reason=after.ended_reason,
                ended_at=now if after.state == "missed" else None,
                recording=self._recording,
                version=0,
            )
            s.add(row)
            audit.add(s, record_of(row, draft, after, f"device:{device_id}", now, created=True))
            await s.commit()
        await self._changed(row)
        return row.call_id

    async def accept(self, call_id: str, caller: Principal) -> CallView:
        """``caller`` takes the call; 409 ``call_taken`` if another did first or it is over."""
        async with self._sessions() as s:
            name = await store.display_name(s, caller)

        def take(call: Call, _: list[Operator]) -> Call:
            return decide.accept(call, caller.actor)

        try:
            await self._apply(call_id, take, caller.actor, {"operator_name": name})
        except IllegalTransition as err:
            raise CallTaken(f"{err}; the call is not yours to take") from err
        return await self.view(call_id)

    async def end(self, call_id: str, caller: Principal, outcome: str, note: str) -> CallView:
        """The accepting operator ends the call with its outcome."""
        ref = await self.get(call_id)
        if ref is None:
            raise CallNotFound(f"no remote-help call {call_id}")
        on_behalf = caller.role is PersonRole.ADMINISTRATOR  # an operator who left it open
        if ref.state == "active" and ref.operator != caller.actor and not on_behalf:
            raise CallStateConflict(
                f"the call is {ref.operator}'s; only they (or an administrator) can end it"
            )

        def finish(call: Call, _: list[Operator]) -> Call:
            return decide.end(call, f"ended by operator ({outcome})")

        try:
            extra = {"outcome": outcome, "note": note[:500]}
            await self._apply(call_id, finish, caller.actor, extra)
        except IllegalTransition as err:
            raise CallStateConflict(str(err)) from err
        return await self.view(call_id)

    async def cancel(self, call_id: str, kiosk: Principal) -> CallView:
        """The citizen hangs up (before or during the call); a call over stays as it is."""
        await self.of_kiosk(call_id, kiosk)
        await self._apply(call_id, lambda call, _: decide.cancel(call), kiosk.actor, {})
        return await self.view(call_id)

    async def of_kiosk(self, call_id: str, kiosk: Principal) -> CallView:
        """The call, if it is this kiosk's (another kiosk's call does not exist for it)."""
        found = await self.view(call_id)
        if found.row.device_id != kiosk.name:
            raise CallNotFound(f"no remote-help call {call_id} of this kiosk")
        return found

    async def tick(self, now: datetime | None = None) -> int:
        """Let time act on every unanswered call (ring on, miss); how many changed."""
        at = now or utcnow()
        async with self._sessions() as s:
            ids = await store.unanswered_ids(s)
        changed = 0
        for call_id in ids:

            def on_time(call: Call, duty: list[Operator]) -> Call:
                return decide.tick(call, duty, self.timing, at)

            changed += await self._apply(call_id, on_time, "system:help-desk", {}, at)
        return changed + await self._drop_lost_links(at)

    async def _drop_lost_links(self, at: datetime) -> int:
        """End (as dropped) the active calls whose kiosk stayed offline past the grace."""
        async with self._sessions() as s:
            offline = await store.kiosks_offline(s, at)
        changed = 0
        for call_id, offline_for in offline.items():
            if offline_for is None:
                continue

            def lost(call: Call, _: list[Operator], gone: float = offline_for) -> Call:
                return decide.link_lost(call, gone, self.timing)

            extra = {"outcome": "dropped"}
            changed += await self._apply(call_id, lost, "system:help-desk", extra, at)
        return changed

    async def _apply(
        self,
        call_id: str,
        decision: Decide,
        actor: str,
        extra: dict[str, Any],
        now: datetime | None = None,
    ) -> bool:
        """Decide on the call's current row and write it over that version (retried when
        another change came first); True if the call changed."""
        for _ in range(_RACE_RETRIES):
            at = now or utcnow()
            async with self._sessions() as s:
                row = await s.get(HelpCallRow, call_id)
                if row is None:
                    raise CallNotFound(f"no remote-help call {call_id}")
                before = store.decision_of(row)
                after = decision(before, await store.operators_for(s, row.site_path))
                if after == before:
                    return False
                stamps = _stamps(before, after, at)
                if not await store.write_over(s, row, after, {**stamps, **extra}):
                    await s.rollback()
                    continue
                await s.refresh(row)
                audit.add(s, record_of(row, before, after, actor, at))
                if before.state == "active" and after.operator:
                    await store.set_free(s, after.operator, at)
                await s.commit()
            await self._changed(row, before)
            return True
        raise CallStateConflict(f"call {call_id} kept changing; try again")

    async def _changed(self, row: HelpCallRow, before: Call | None = None) -> None:
        """Tell the consoles, the kiosk's long-poll, listeners and the media plane."""
        self.hub.publish(CALLS_KEY, row.call_id)
        ref = ref_of(row)
        if before is not None and before.state != row.state:
            if row.state == "active":
                self.streams.start_kiosk(ref)
            elif before.state == "active":
                self.streams.stop_kiosk(ref)
        for listener in tuple(self._listeners):
            try:
                result = listener(ref)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # a listener's bug must not undo or hide the change
                log.exception("a help-call listener failed on %s", row.call_id)

    async def close(self) -> None:
        await self.streams.close()


def _stamps(before: Call, after: Call, at: datetime) -> dict[str, Any]:
    if before.state == after.state:
        return {}
    if after.state == "active":
        return {"answered_at": at}
    if after.state in decide.FINAL:
        return {"ended_at": at}
    return {}
