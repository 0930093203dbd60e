"""Births and states, a run of them in one transaction (the presence path at fleet scale).

After a mass reconnect every device sends a birth and an online state (and the broker sends
every will): 10,000 devices are 20,000+ presence messages within seconds. One transaction per
message (a site lookup, a device load, a device event, a commit: ~2 ms of the cloud's CPU each
on SQLite) kept the cloud's view behind for tens of seconds. Here a run of births and states
waiting in one bus batch loads its devices in one query, looks each site up once, applies the
messages in order on those rows (the same ``fleet.presence`` decisions, in the same order, as
one by one) and commits once. If that transaction fails, the run is applied message by message,
so one bad message cannot take the others down. Counters, change notices, ``DeviceOnline``
events and signs of life go out only after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import devices as device_repo
from cloud.db import sites as site_repo
from cloud.db.models import Device, DeviceEvent, Site, utcnow
from cloud.enrollment.gate import EnrollmentGate
from cloud.events import DeviceOnline, EventChannel
from cloud.hub import ChangeHub
from cloud.liveness import LivenessWatch
from cloud.reasons import Rejected
from cloud.stats import BusStats
from fleet.presence import (
    Presence,
    PresenceIgnored,
    changes_presence,
    on_birth,
    on_state,
    why_state_ignored,
)
from protocols.envelope import Envelope, MsgType
from protocols.errors import TopicError
from protocols.messages import BirthBody, StateBody
from protocols.topics import check_site_path

log = logging.getLogger(__name__)

Failure = tuple[int, Exception]
#: (device id, what): a message of a device without a birth (``Ingest._unknown``)
Unknown = Callable[[str, str], Awaitable[None]]


@dataclass
class _Outcome:
    """What to tell the rest of the cloud once the transaction committed."""

    now: datetime
    counted: list[tuple[str, str, str, bool]] = field(default_factory=list)  # how, reason, ...
    notices: list[tuple[str, str]] = field(default_factory=list)  # device, change
    online: list[str] = field(default_factory=list)  # DeviceOnline, in order
    alive: list[str] = field(default_factory=list)  # births that are signs of life
    unknown: list[str] = field(default_factory=list)  # states of devices without a birth
    handled: list[str] = field(default_factory=list)  # message types handled
    #: ``device_events`` rows, written in one Core insert just before the commit
    events: list[dict[str, Any]] = field(default_factory=list)

    def event(self, device_id: str, kind: str, reason: str = "", **data: Any) -> None:
        row = {"device_id": device_id, "at": utcnow(), "kind": kind, "reason": reason}
        self.events.append(row | {"data": data})


class PresenceIngest:
    """Applies runs of ``birth`` and ``state`` messages (see the module's docstring)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        stats: BusStats,
        events: EventChannel,
        gate: EnrollmentGate,
        unknown: Unknown,
        *,
        auto_register: bool,
        liveness: LivenessWatch | None,
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._stats = stats
        self._events = events
        self._gate = gate
        self._unknown = unknown
        self._auto_register = auto_register
        self._liveness = liveness

    async def run(
        self, items: Sequence[tuple[str, Envelope[Any]]], run: list[int]
    ) -> list[Failure]:
        """The messages ``items[i]`` for ``i`` in ``run``, in one transaction if possible."""
        if len(run) > 1:
            try:
                await self.apply([items[i] for i in run])
            except Exception as err:
                log.debug("a run of %d presence messages failed (%r); one by one", len(run), err)
            else:
                return []
        failures: list[Failure] = []
        for i in run:
            try:
                await self._apply_one(items[i])
            except Exception as err:
                failures.append((i, err))
        return failures

    async def _apply_one(self, item: tuple[str, Envelope[Any]]) -> None:
        """One message; a birth that lost the race to register its device (another cloud
        worker registered it first) is applied again, on the row that worker made."""
        try:
            await self.apply([item])
        except IntegrityError:
            await self.apply([item])

    async def apply(self, messages: Sequence[tuple[str, Envelope[Any]]]) -> None:
        """One transaction; nothing outside the database changes before its commit, so a
        caller may apply the same messages again after an exception."""
        out = _Outcome(utcnow())
        async with self._sessions() as s:
            ids = sorted({device_id for device_id, _ in messages})
            # locked in id order (FOR UPDATE on PostgreSQL; SQLite locks the file as it writes):
            # several cloud workers apply one device's presence one after the other
            found = await s.scalars(
                select(Device)
                .where(Device.id.in_(ids))
                .order_by(Device.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            devices: dict[str, Device] = {d.id: d for d in found}
            sites: dict[str, Site | None] = {}
            for device_id, env in messages:
                body = env.body
                if env.type is MsgType.BIRTH and isinstance(body, BirthBody):
                    await self._birth(s, out, devices, sites, (device_id, env.id, body))
                elif env.type is MsgType.STATE and isinstance(body, StateBody):
                    self._state(out, devices.get(device_id), device_id, body)
                out.handled.append(env.type.value)
            await _insert_events(s, out.events)
            await s.commit()
        await self._tell(out)

    async def _tell(self, out: _Outcome) -> None:
        for how, reason, detail, quiet in out.counted:
            if how == "reject":
                self._stats.reject(reason, detail, quiet=quiet)
            else:
                self._stats.ignore(reason, detail)
        if out.alive and self._liveness is not None:
            await self._liveness.seen(out.alive)  # back from silence
        for device_id, change in out.notices:
            self._hub.publish(f"device:{device_id}", change)
        for device_id in out.online:
            self._events.publish(DeviceOnline(device_id, utcnow()))
        for device_id in out.unknown:
            await self._unknown(device_id, "state")
        for kind in out.handled:
            self._stats.handle(kind)

    async def _birth(
        self,
        s: AsyncSession,
        out: _Outcome,
        devices: dict[str, Device],
        sites: dict[str, Site | None],
        message: tuple[str, str, BirthBody],
    ) -> None:
        device_id, msg_id, body = message
        if body.device_id != device_id:
            detail = f"birth on the topic of {device_id!r} names device {body.device_id!r}"
            out.counted.append(("reject", Rejected.DEVICE_MISMATCH, detail, False))
            return
        try:
            check_site_path(body.site)
        except TopicError as err:
            out.counted.append(("reject", err.reason, f"birth of {device_id}: {err}", False))
            return
        if body.site not in sites:
            sites[body.site] = await site_repo.get_by_path(s, body.site)
        site = sites[body.site]
        if site is None:
            detail = (
                f"device {device_id} names site {body.site!r}, which does not exist; "
                "create it (POST /api/v1/sites) and the device's retained birth will count "
                "on its next connect"
            )
            out.counted.append(("reject", Rejected.UNKNOWN_SITE, detail, False))
            return
        device = devices.get(device_id)
        refusal = await self._gate.refuse(s, device_id, device)
        if refusal is not None:
            reason, detail = refusal
            quiet = not self._gate.first(device_id, reason)
            out.counted.append(("reject", reason, detail, quiet))
            return
        if device is None:
            if not self._auto_register:
                detail = (
                    f"device {device_id} is not registered and auto-registration is off "
                    "(KFLEET_AUTO_REGISTER_DEVICES=false)"
                )
                out.counted.append(("reject", Rejected.UNREGISTERED_DEVICE, detail, False))
                return
            device = Device(id=device_id, site_id=site.id, role=body.role.value, online=False)
            devices[device_id] = device
            s.add(device)
            out.event(device_id, "registered", body.site)
        self._apply_birth(out, device, site.id, msg_id, body)

    @staticmethod
    def _apply_birth(
        out: _Outcome, device: Device, site_id: int, msg_id: str, body: BirthBody
    ) -> None:
        presence = on_birth(_presence(device), body.bd_seq)
        if presence is None or not presence.online:  # that session has ended already
            detail = f"{device.id} bd_seq {body.bd_seq}"
            out.counted.append(("ignore", PresenceIgnored.BIRTH_OF_ENDED_SESSION, detail, False))
        if presence is not None:
            device.online, device.bd_seq = presence.online, presence.bd_seq
            device.ended_bd_seq = presence.ended_bd_seq
        if device_repo.apply_birth(device, site_id, msg_id, body, out.now):
            out.alive.append(device.id)
        out.event(device.id, "birth", bd_seq=body.bd_seq, online=device.online)
        out.notices.append((device.id, "online" if device.online else "birth"))
        if device.online:
            out.online.append(device.id)

    @staticmethod
    def _state(out: _Outcome, device: Device | None, device_id: str, body: StateBody) -> None:
        if device is None:
            out.unknown.append(device_id)
            return
        current = _presence(device)
        new = on_state(current, body.online, body.bd_seq)
        if new is None or not changes_presence(current, new):
            if new is not None:  # another session's will, remembered for its birth
                device.ended_bd_seq = new.ended_bd_seq
            detail = (
                f"{device_id} state online={body.online} bd_seq={body.bd_seq} "
                f"(current session {device.bd_seq}, online={device.online})"
            )
            out.counted.append(("ignore", why_state_ignored(current, body.bd_seq), detail, False))
            return
        device.online, device.bd_seq = new.online, new.bd_seq
        device.last_seen = out.now
        if not new.online:  # silence ends with the session
            device.silent_since = None
        kind = "online" if new.online else "offline"
        out.event(device_id, kind, bd_seq=body.bd_seq)
        out.notices.append((device_id, kind))
        if new.online:
            out.online.append(device_id)


#: the table itself: a Core insert, not the ORM's bulk path
_EVENTS = cast(Table, DeviceEvent.__table__)


async def _insert_events(s: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """The run's event rows in one executemany, after the devices' own changes are flushed
    (a new device's row must exist first). The ORM's unit of work built and sorted an object
    per row: ~6 % of the cloud's samples after a mass reconnect (issue 17)."""
    if not rows:
        return
    await s.flush()
    await s.execute(insert(_EVENTS), rows)


def _presence(device: Device) -> Presence:
    return Presence(device.online, device.bd_seq, device.ended_bd_seq)
