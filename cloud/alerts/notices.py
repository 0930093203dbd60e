"""Notices of alert changes: built from the alert's row, held until its transaction commits,
then handed to the :class:`~cloud.notify.model.Notifier` (which never blocks on receivers)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from cloud.alerts.tables import Alert
from cloud.notify.model import Notice, NoticeKind, Notifier, Severity
from fleet.alerts import Tell

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: int
    name: str
    channels: tuple[str, ...]


def notice(alert: Alert, rule: RuleInfo, tell: Tell, at: datetime) -> Notice:
    """The notice of ``tell`` about ``alert``; ``alert.notices`` already counts it."""
    words = {
        Tell.OPENED: "告警",
        Tell.REMINDER: "仍未恢复",
        Tell.ACKNOWLEDGED: "已确认",
        Tell.RESOLVED: "已恢复",
    }[tell]
    return Notice(
        key=f"alert:{alert.id}:{tell.value}:{alert.notices}",
        kind=NoticeKind(tell.value),
        alert_id=alert.id,
        rule_id=rule.id,
        rule_name=rule.name,
        severity=Severity(alert.severity),
        subject=alert.subject,
        site=alert.site,
        summary=f"[{words}] {alert.summary}"[:500],
        opened_at=alert.fired_at or alert.started_at,
        at=at,
        device_id=alert.device_id,
        details={
            "state": alert.state,
            "value": alert.value,
            "acked_by": alert.acked_by,
            "notices": alert.notices,
        },
    )


@dataclass
class Outbox:
    """Notices of one transaction (built when added, so the rows may expire); :meth:`send`
    after it commits."""

    pending: list[tuple[Notice, tuple[str, ...]]] = field(default_factory=list)

    def add(self, alert: Alert, rule: RuleInfo, tell: Tell, at: datetime) -> None:
        self.pending.append((notice(alert, rule, tell, at), rule.channels))

    async def send(self, notifier: Notifier) -> int:
        sent = 0
        for n, channels in self.pending:
            try:  # a rule that names no channel is told on every configured one
                await notifier.notify(n, list(channels or notifier.channel_names()))
                sent += 1
            except Exception:  # the message service must not fail the alert engine
                log.exception("notifier refused %s", n.key)
        self.pending.clear()
        return sent
