"""The contract between alerts and the message service.

The alert engine hands each change of an alert (opened, re-notified, acknowledged, resolved)
to :class:`Notifier.notify` with the names of the channels its rule lists; the message service
delivers it on each channel (retrying, recording every attempt) and never makes the alert
engine wait on a slow or failing receiver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class NoticeKind(StrEnum):
    OPENED = "opened"
    REMINDER = "reminder"  # still open after the rule's repeat interval
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing to tell people about one alert. ``key`` is unique per (alert, kind, n), so
    a receiver can drop a redelivery; ``summary`` is the one line an SMS carries (zh-CN
    first: the people on call read Chinese), ``details`` the structured rest."""

    key: str
    kind: NoticeKind
    alert_id: int
    rule_id: int
    rule_name: str
    severity: Severity
    #: what the alert is about: ``device:<id>``, ``peripheral:<device>/<id>``, ``site:<path>``
    subject: str
    site: str
    summary: str
    opened_at: datetime
    at: datetime
    device_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    """The message service as the alert engine sees it. ``notify`` only records and queues
    (fast, never raises for a receiver's failure); delivery happens in the background."""

    async def notify(self, notice: Notice, channels: Sequence[str]) -> None: ...

    def channel_names(self) -> list[str]:
        """The configured channels, for the rule editor's choices."""
        ...
