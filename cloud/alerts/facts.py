"""Reading what the rules judge: devices, the newest telemetry values, job outcomes; and the
rules and silences themselves, as the pure types of ``fleet.alert_*``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.alerts.tables import AlertRule, Silence
from cloud.db.models import Device, Job, Site
from cloud.db.telemetry_latest import TeleLatest
from cloud.rollouts.tables import Rollout
from cloud.telemetry.latest import parse_series_key
from fleet.alert_conditions import DeviceFact, Facts, HaltedRollout, JobCount, MetricFact
from fleet.alert_rules import (
    JobFailureParams,
    MetricParams,
    RolloutHaltedParams,
    RuleError,
    RuleKind,
    RuleSpec,
    Scope,
    parse_params,
)
from fleet.alerts import SilenceView
from fleet.media_monitor import STALLED_METRIC
from fleet.peripherals import PeripheralState, parse_all
from protocols.jobs import JobState
from protocols.telemetry import PeripheralMetric

log = logging.getLogger(__name__)

#: a job that ended in one of these counts as ended; FAILED_STATES as failed
ENDED_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.EXPIRED)
FAILED_STATES = (JobState.FAILED, JobState.EXPIRED)


def spec_of(row: AlertRule) -> RuleSpec:
    """The rule as ``fleet`` judges it (:class:`RuleError` if its stored params are bad)."""
    return RuleSpec(
        id=row.id,
        name=row.name,
        kind=RuleKind(row.kind),
        params=parse_params(row.kind, row.params),
        severity=row.severity,
        for_s=row.for_s,
        repeat_s=row.repeat_s,
        scope=Scope(row.site, row.role, row.device_id),
        channels=tuple(str(c) for c in row.channels),
        enabled=row.enabled,
    )


async def rules(session: AsyncSession) -> tuple[list[RuleSpec], set[int]]:
    """Every enabled rule that parses, and the ids of all rules that exist."""
    rows = (await session.scalars(select(AlertRule).order_by(AlertRule.id))).all()
    specs = []
    for row in rows:
        if not row.enabled:
            continue
        try:
            specs.append(spec_of(row))
        except (RuleError, ValueError) as err:  # written before a validation existed
            log.warning("alert rule %s (%s) is skipped: %s", row.id, row.name, err)
    return specs, {r.id for r in rows}


async def silences(session: AsyncSession, now: datetime) -> list[SilenceView]:
    rows = await session.scalars(select(Silence).where(Silence.ends_at > now))
    return [SilenceView(s.rule_id, s.subject, s.site, s.starts_at, s.ends_at) for s in rows.all()]


async def _devices(session: AsyncSession) -> list[DeviceFact]:
    """Columns, not ORM objects: every round reads the whole fleet (10,000 devices at issue
    17's scale, where building an ORM object per row was the evaluator's main cost)."""
    rows = await session.execute(
        select(
            Device.id,
            Site.path,
            Device.role,
            Device.online,
            Device.last_seen,
            Device.heartbeat_s,
            # the stored text: decoding every device's JSON each round was a fifth of the
            # round at 10,000 devices; only what changed is decoded (``_parsed``)
            type_coerce(Device.peripherals, Text),
        )
        .join(Site, Site.id == Device.site_id)
        .where(Device.revoked_at.is_(None))
    )
    return [
        DeviceFact(device_id, path, role, online, last_seen, heartbeat_s, _parsed(device_id, raw))
        for device_id, path, role, online, last_seen, heartbeat_s, raw in rows.all()
    ]


#: device id -> (its stored peripherals, parsed): a round parses only what changed since the
#: last one (comparing the stored JSON is far cheaper than building its ``PeripheralState``s)
_PARSED: dict[str, tuple[object, tuple[PeripheralState, ...]]] = {}
#: more entries than this (devices deleted over time) and the memo starts again
_PARSED_MAX = 100_000


def _parsed(device_id: str, raw: str | list[Any]) -> tuple[PeripheralState, ...]:
    """``raw``: the stored JSON text (SQLite), or the list the driver already decoded
    (psycopg decodes JSON columns itself)."""
    known = _PARSED.get(device_id)
    if known is not None and known[0] == raw:
        return known[1]
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    parsed = parse_all(json.loads(raw) if isinstance(raw, str) else raw)
    _PARSED[device_id] = (raw, parsed)
    return parsed


async def _metrics(session: AsyncSession, specs: Sequence[RuleSpec]) -> list[MetricFact]:
    names = {s.params.name for s in specs if isinstance(s.params, MetricParams)}
    if any(s.kind is RuleKind.PERIPHERAL for s in specs):
        names.add(PeripheralMetric.PAPER.value)
    if any(s.kind is RuleKind.STREAM_STALLED for s in specs):
        names.add(STALLED_METRIC)
    if not names:
        return []
    rows = await session.execute(
        select(
            TeleLatest.device_id,
            TeleLatest.name,
            TeleLatest.series_key,
            TeleLatest.site,
            TeleLatest.value,
        )
        .where(TeleLatest.name.in_(sorted(names)))
        .order_by(TeleLatest.device_id, TeleLatest.name)
    )
    return [
        MetricFact(device_id, name, _tags(key), site, value)
        for device_id, name, key, site, value in rows.all()
    ]


#: series key -> its tags: a fleet's series share few distinct keys (``kind=..,peripheral=..``)
#: and every round read them all as ORM rows and parsed each key again (issue 17: the
#: evaluator's largest part at 5,000 devices). The parsed tags are shared: never mutated.
_TAGS: dict[str, Mapping[str, str]] = {}


def _tags(key: str) -> Mapping[str, str]:
    tags = _TAGS.get(key)
    if tags is None:
        if len(_TAGS) >= _PARSED_MAX:
            _TAGS.clear()
        tags = _TAGS[key] = parse_series_key(key)
    return tags


async def _job_counts(session: AsyncSession, p: JobFailureParams, now: datetime) -> list[JobCount]:
    since = now - timedelta(seconds=p.window_s)
    failed = func.sum(case((Job.state.in_(FAILED_STATES), 1), else_=0))
    where = (Job.state.in_(ENDED_STATES), Job.updated_at >= since)
    if p.per == "device":
        stmt = (
            select(Job.assigned_device_id, Site.path, func.count(), failed)
            .join(Device, Device.id == Job.assigned_device_id)
            .join(Site, Site.id == Device.site_id)
            .where(*where)
            .group_by(Job.assigned_device_id, Site.path)
        )
        rows = (await session.execute(stmt)).all()
        return [JobCount(path, dev, int(n), int(f or 0)) for dev, path, n, f in rows]
    by_site = (
        select(Site.path, func.count(), failed)
        .join(Site, Site.id == Job.site_id)
        .where(*where)
        .group_by(Site.path)
    )
    rows_site = (await session.execute(by_site)).all()
    return [JobCount(path, None, int(n), int(f or 0)) for path, n, f in rows_site]


async def _halted_rollouts(
    session: AsyncSession, specs: Sequence[RuleSpec], now: datetime
) -> list[HaltedRollout]:
    """Rollouts that halted within the longest ``within_s`` of the rollout_halted rules."""
    within = [s.params.within_s for s in specs if isinstance(s.params, RolloutHaltedParams)]
    if not within:
        return []
    stmt = select(Rollout).where(
        Rollout.state == "halted", Rollout.ended_at >= now - timedelta(seconds=max(within))
    )
    rows = (await session.scalars(stmt)).all()
    return [
        HaltedRollout(r.id, r.site_path, r.version, r.reason, r.ended_at or r.updated_at)
        for r in rows
    ]


async def gather(session: AsyncSession, specs: Sequence[RuleSpec], now: datetime) -> Facts:
    """The facts ``specs`` need (nothing a rule does not look at is read)."""
    kinds = {s.kind for s in specs}
    need_devices = kinds & {
        RuleKind.PRESENCE,
        RuleKind.PERIPHERAL,
        RuleKind.METRIC,
        RuleKind.STREAM_STALLED,
    }
    jobs = {
        s.id: await _job_counts(session, s.params, now)
        for s in specs
        if isinstance(s.params, JobFailureParams)
    }
    return Facts(
        devices=await _devices(session) if need_devices else (),
        metrics=await _metrics(session, specs),
        jobs=jobs,
        rollouts=await _halted_rollouts(session, specs, now),  # issue 17
    )
