"""The alert tests' world: a migrated database with the pilot sites, devices with chosen
peripherals and telemetry, jobs that ended, and a notifier that records what it was told."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.alerts.evaluator import Evaluator
from cloud.alerts.tables import Alert, AlertEvent, AlertRule, Silence
from cloud.db import sites as site_repo
from cloud.db.models import Device, Job
from cloud.notify.model import Notice, NoticeKind
from cloud.telemetry.latest import upsert_latest
from cloud.telemetry.model import Point
from fleet.sites import PILOT_TREE
from protocols.telemetry import site_tags

HHL = "qh/hx/golmud/hhl"
TGLS = "qh/hx/golmud/tgls"
T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class RecordingNotifier:
    """A Notifier that keeps every notice with the channels it was asked to use."""

    channels: list[str] = field(default_factory=lambda: ["webhook", "sms"])
    got: list[tuple[Notice, list[str]]] = field(default_factory=list)
    _news: asyncio.Event = field(default_factory=asyncio.Event)

    async def notify(self, notice: Notice, channels: Sequence[str]) -> None:
        self.got.append((notice, list(channels)))
        self._news.set()

    async def wait_for(
        self, kind: NoticeKind, subject: str, rule_id: int | None = None, within_s: float = 10
    ) -> Notice:
        """The first notice of ``kind`` about ``subject`` (from ``rule_id`` if given), told
        already or within ``within_s``."""

        def hit(n: Notice) -> bool:
            return (n.kind, n.subject) == (kind, subject) and rule_id in (None, n.rule_id)

        async with asyncio.timeout(within_s):
            while True:
                found = next((n for n, _ in self.got if hit(n)), None)
                if found is not None:
                    return found
                self._news.clear()
                await self._news.wait()

    def channel_names(self) -> list[str]:
        return list(self.channels)

    def kinds(self) -> list[tuple[NoticeKind, str]]:
        return [(n.kind, n.subject) for n, _ in self.got]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def seed_sites(sessions: Sessions) -> None:
    async with sessions() as s:
        await site_repo.seed(s, PILOT_TREE)
        await s.commit()


def printer(health: str = "ok", reason: str = "", pid: str = "rp1") -> dict[str, Any]:
    return {
        "id": pid,
        "kind": "receipt_printer",
        "model": "sim",
        "capabilities": ["receipt"],
        "health": health,
        "reason": reason,
        "updated_at": None,
    }


async def add_device(
    sessions: Sessions,
    device_id: str,
    site: str = HHL,
    *,
    online: bool = True,
    last_seen: datetime | None = T0,
    peripherals: list[dict[str, Any]] | None = None,
    heartbeat_s: float | None = 10.0,
    role: str = "kiosk",
) -> None:
    async with sessions() as s:
        site_row = await site_repo.require(s, site)
        s.add(
            Device(
                id=device_id,
                site_id=site_row.id,
                role=role,
                name=device_id,
                online=online,
                last_seen=last_seen,
                heartbeat_s=heartbeat_s,
                peripherals=peripherals if peripherals is not None else [printer()],
            )
        )
        await s.commit()


async def set_device(sessions: Sessions, device_id: str, **values: Any) -> None:
    async with sessions() as s:
        await s.execute(update(Device).where(Device.id == device_id).values(**values))
        await s.commit()


async def metric(
    sessions: Sessions,
    device_id: str,
    name: str,
    value: float,
    ts_ms: int,
    site: str = HHL,
    **tags: str,
) -> None:
    point = Point(
        name, value, ts_ms, {"device": device_id, "role": "kiosk", **site_tags(site), **tags}
    )
    async with sessions() as s:
        await upsert_latest(s, [point])
        await s.commit()


async def ended_jobs(
    sessions: Sessions, device_id: str, site: str, states: Sequence[str], when: datetime
) -> None:
    async with sessions() as s:
        site_row = await site_repo.require(s, site)
        for i, state in enumerate(states):
            s.add(
                Job(
                    id=f"{device_id}-{i:04d}".ljust(32, "0")[:32],
                    request_hash="0" * 64,
                    kind="print_receipt",
                    target_device_id=device_id,
                    capability="receipt",
                    site_id=site_row.id,
                    assigned_device_id=device_id,
                    state=state,
                    params={},
                    attempts=1,
                    max_attempts=3,
                    ttl_s=600,
                    expires_at=when + timedelta(hours=1),
                    created_at=when,
                    updated_at=when,
                )
            )
        await s.commit()


async def add_rule(
    sessions: Sessions, name: str, kind: str, params: dict[str, Any], **cols: Any
) -> int:
    defaults: dict[str, Any] = {
        "severity": "major",
        "for_s": 0.0,
        "repeat_s": 0.0,
        "site": "",
        "channels": ["webhook"],
        "enabled": True,
    }
    async with sessions() as s:
        rule = AlertRule(
            name=name,
            kind=kind,
            params=params,
            created_at=T0,
            updated_at=T0,
            updated_by="test",
            **{**defaults, **cols},
        )
        s.add(rule)
        await s.commit()
        return rule.id


async def only_rules(sessions: Sessions, *keep: int) -> None:
    """Disable every rule but ``keep`` (the migration seeds default rules)."""
    async with sessions() as s:
        await s.execute(update(AlertRule).where(AlertRule.id.not_in(keep)).values(enabled=False))
        await s.commit()


async def edit_rule(sessions: Sessions, rule_id: int, **values: Any) -> None:
    async with sessions() as s:
        await s.execute(update(AlertRule).where(AlertRule.id == rule_id).values(**values))
        await s.commit()


async def alerts(sessions: Sessions, rule_id: int | None = None) -> list[Alert]:
    async with sessions() as s:
        stmt = select(Alert).order_by(Alert.id)
        if rule_id is not None:
            stmt = stmt.where(Alert.rule_id == rule_id)
        return list((await s.scalars(stmt)).all())


async def history(sessions: Sessions, alert_id: int) -> list[str]:
    async with sessions() as s:
        rows = await s.scalars(
            select(AlertEvent.kind).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
        )
        return list(rows.all())


async def silence(
    sessions: Sessions,
    *,
    rule_id: int | None = None,
    subject: str | None = None,
    start: datetime = T0,
    end: datetime = T0 + timedelta(hours=1),
) -> int:
    async with sessions() as s:
        row = Silence(
            rule_id=rule_id,
            subject=subject,
            site="qh",
            starts_at=start,
            ends_at=end,
            created_by="user:op",
            reason="maintenance",
            expired_by="",
        )
        s.add(row)
        await s.commit()
        return row.id


def evaluator(sessions: Sessions, notifier: RecordingNotifier) -> Evaluator:
    return Evaluator(sessions, notifier, interval_s=60)
