"""Which subjects a rule's condition holds for, from the facts the cloud gathered.

Pure: the cloud reads devices, newest telemetry values and job counts; this decides, per rule,
the set of :class:`Finding` (one per subject: ``device:<id>``, ``peripheral:<device>/<id>``,
``site:<path>``, ``rollout:<id>``). A subject absent from the answer is one whose condition
does not hold.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fleet.access import in_scope
from fleet.alert_rules import (
    PERIPHERAL_CONDITIONS,
    JobFailureParams,
    MetricParams,
    PeripheralParams,
    PresenceParams,
    RolloutHaltedParams,
    RuleSpec,
    Scope,
    StreamStalledParams,
)
from fleet.liveness import liveness
from fleet.media_monitor import STALLED_METRIC
from fleet.peripherals import PeripheralState
from protocols.telemetry import PeripheralMetric


@dataclass(frozen=True, slots=True)
class DeviceFact:
    id: str
    site: str
    role: str
    online: bool
    last_seen: datetime | None
    heartbeat_s: float | None
    peripherals: tuple[PeripheralState, ...] = ()


@dataclass(frozen=True, slots=True)
class MetricFact:
    device_id: str
    name: str
    tags: Mapping[str, str]
    site: str
    value: float


@dataclass(frozen=True, slots=True)
class JobCount:
    """Jobs that ended in a rule's window, for one device (``device_id`` set) or one site."""

    site: str
    device_id: str | None
    ended: int
    failed: int


@dataclass(frozen=True, slots=True)
class HaltedRollout:
    """A staged agent rollout that halted (issue 17)."""

    rollout_id: str
    site: str
    version: str
    reason: str
    halted_at: datetime


@dataclass(frozen=True, slots=True)
class Facts:
    devices: Sequence[DeviceFact] = ()
    metrics: Sequence[MetricFact] = ()
    #: per job-failure rule id: its counts
    jobs: Mapping[int, Sequence[JobCount]] = field(default_factory=dict)
    #: rollouts that halted lately (read only when a rollout_halted rule exists)
    rollouts: Sequence[HaltedRollout] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    subject: str
    site: str
    device_id: str | None
    #: one line, zh-CN then English (what an SMS carries)
    summary: str
    value: float | None = None


def in_rule_scope(scope: Scope, site: str, role: str | None, device: str | None) -> bool:
    if scope.site and not in_scope(scope.site, site):
        return False
    if scope.role is not None and role != scope.role:
        return False
    return scope.device is None or device == scope.device


def _presence(rule: RuleSpec, p: PresenceParams, facts: Facts, now: datetime) -> list[Finding]:
    found = []
    for d in facts.devices:
        if not in_rule_scope(rule.scope, d.site, d.role, d.id):
            continue
        view = liveness(d.online, d.last_seen, d.heartbeat_s, now)
        if view.state.value not in p.states:
            continue
        quiet_s = (now - view.since).total_seconds() if view.since else None
        if quiet_s is not None and quiet_s < p.after_s:
            continue
        words = {"offline": "离线", "silent": "无响应", "never_seen": "从未上线"}[view.state.value]
        found.append(
            Finding(
                f"device:{d.id}",
                d.site,
                d.id,
                f"设备 {d.id} {words} / device {d.id} is {view.state.value}: {view.reason}".strip(),
                quiet_s,
            )
        )
    return found


def _paper_codes(facts: Facts) -> dict[tuple[str, str], int]:
    return {
        (m.device_id, m.tags.get("peripheral", "")): int(m.value)
        for m in facts.metrics
        if m.name == PeripheralMetric.PAPER.value
    }


_CONDITION_WORDS = {
    "paper_out": "缺纸",
    "near_end": "纸张即将用完",
    "cover_open": "盖板未关好",
    "paper_jam": "卡纸",
    "unplugged": "已断开",
    "offline": "离线",
    "degraded": "工作异常",
}


def _peripheral_holds(condition: str, p: PeripheralState, paper: int | None) -> bool:
    healths, reasons, codes = PERIPHERAL_CONDITIONS[condition]
    if p.health.value in healths or p.reason in reasons:
        return True
    return paper is not None and paper in codes


def _peripheral(rule: RuleSpec, params: PeripheralParams, facts: Facts) -> list[Finding]:
    paper = _paper_codes(facts)
    found = []
    for d in facts.devices:
        if not in_rule_scope(rule.scope, d.site, d.role, d.id):
            continue
        for p in d.peripherals:
            if params.kinds and p.kind not in params.kinds:
                continue
            hits = [
                c for c in params.conditions if _peripheral_holds(c, p, paper.get((d.id, p.id)))
            ]
            if not hits:
                continue
            zh = "、".join(_CONDITION_WORDS[c] for c in hits)
            found.append(
                Finding(
                    f"peripheral:{d.id}/{p.id}",
                    d.site,
                    d.id,
                    f"{d.id} 的 {p.kind} {zh} / {p.kind} {p.id} of {d.id}: {', '.join(hits)}",
                )
            )
    return found


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def metric_subject(device_id: str, tags: Mapping[str, str]) -> str:
    if "peripheral" in tags:
        return f"peripheral:{device_id}/{tags['peripheral']}"
    rest = ",".join(f"{k}={v}" for k, v in sorted(tags.items()))
    return f"device:{device_id}" + (f"/{rest}" if rest else "")


def _metric(rule: RuleSpec, p: MetricParams, facts: Facts) -> list[Finding]:
    roles = {d.id: d.role for d in facts.devices}
    compare = _OPS[p.op]
    found = []
    for m in facts.metrics:
        if m.name != p.name or any(m.tags.get(k) != v for k, v in p.tags.items()):
            continue
        if not in_rule_scope(rule.scope, m.site, roles.get(m.device_id), m.device_id):
            continue
        value = abs(m.value) if p.absolute else m.value
        if not compare(value, p.threshold):
            continue
        shown = f"|{p.name}|" if p.absolute else p.name
        found.append(
            Finding(
                metric_subject(m.device_id, m.tags),
                m.site,
                m.device_id,
                f"{m.device_id} 指标 {shown} = {m.value:g}（阈值 {p.op} {p.threshold:g}）/ "
                f"{m.device_id} {shown} = {m.value:g} ({p.op} {p.threshold:g})",
                m.value,
            )
        )
    return found


def _job_failure(rule: RuleSpec, p: JobFailureParams, counts: Iterable[JobCount]) -> list[Finding]:
    found = []
    for c in counts:
        if c.ended < p.min_jobs or c.failed / c.ended < p.rate:
            continue
        # a role does not apply to counts; a device scope only to per-device counts
        scope = Scope(rule.scope.site, None, rule.scope.device if c.device_id else None)
        if not in_rule_scope(scope, c.site, None, c.device_id):
            continue
        rate = c.failed / c.ended
        what = c.device_id or c.site
        subject = f"device:{c.device_id}" if c.device_id else f"site:{c.site}"
        found.append(
            Finding(
                subject,
                c.site,
                c.device_id,
                f"{what} 任务失败率 {rate:.0%}（{c.failed}/{c.ended}）/ "
                f"{what} job failure rate {rate:.0%} ({c.failed} of {c.ended})",
                rate,
            )
        )
    return found


def _stream_stalled(rule: RuleSpec, p: StreamStalledParams, facts: Facts) -> list[Finding]:
    roles = {d.id: d.role for d in facts.devices}
    found = []
    for m in facts.metrics:
        if m.name != STALLED_METRIC or m.value < 1 or m.tags.get("purpose") not in p.purposes:
            continue
        if not in_rule_scope(rule.scope, m.site, roles.get(m.device_id), m.device_id):
            continue
        stream = m.tags.get("stream", "")
        found.append(
            Finding(
                f"stream:{stream}",
                m.site,
                m.device_id,
                f"{m.device_id} 视频流 {stream} 中断 / stream {stream} of {m.device_id} stalled",
                m.value,
            )
        )
    return found


def _rollout_halted(
    rule: RuleSpec, p: RolloutHaltedParams, facts: Facts, now: datetime
) -> list[Finding]:
    return [
        Finding(
            f"rollout:{r.rollout_id}",
            r.site,
            None,
            f"{r.site} 升级 {r.version} 已停止并回退：{r.reason} / rollout of {r.version} on "
            f"{r.site} halted and rolled back: {r.reason}",
        )
        for r in facts.rollouts
        if (now - r.halted_at).total_seconds() <= p.within_s
        and (not rule.scope.site or in_scope(rule.scope.site, r.site))
    ]


def findings(rule: RuleSpec, facts: Facts, now: datetime) -> dict[str, Finding]:
    """The subjects ``rule``'s condition holds for at ``now``, by subject."""
    params = rule.params
    if isinstance(params, PresenceParams):
        found = _presence(rule, params, facts, now)
    elif isinstance(params, PeripheralParams):
        found = _peripheral(rule, params, facts)
    elif isinstance(params, MetricParams):
        found = _metric(rule, params, facts)
    elif isinstance(params, StreamStalledParams):
        found = _stream_stalled(rule, params, facts)
    elif isinstance(params, RolloutHaltedParams):
        found = _rollout_halted(rule, params, facts, now)
    else:
        found = _job_failure(rule, params, facts.jobs.get(rule.id, ()))
    return {f.subject: f for f in found}
