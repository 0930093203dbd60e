"""A :class:`~cloud.notify.model.Notice` as JSON: what is stored with each delivery and what
the webhook and MQTT channels send (field names are a published contract:
docs/notifications.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloud.notify.model import Notice, NoticeKind, Severity

#: the version of the JSON shape, sent as ``"v"`` so receivers can tell a future change
VERSION = 1


def to_json(notice: Notice) -> dict[str, Any]:
    return {
        "v": VERSION,
        "key": notice.key,
        "kind": notice.kind.value,
        "alert_id": notice.alert_id,
        "rule_id": notice.rule_id,
        "rule_name": notice.rule_name,
        "severity": notice.severity.value,
        "subject": notice.subject,
        "site": notice.site,
        "device_id": notice.device_id,
        "summary": notice.summary,
        "opened_at": notice.opened_at.isoformat(),
        "at": notice.at.isoformat(),
        "details": dict(notice.details),
    }


def from_json(data: dict[str, Any]) -> Notice:
    return Notice(
        key=data["key"],
        kind=NoticeKind(data["kind"]),
        alert_id=int(data["alert_id"]),
        rule_id=int(data["rule_id"]),
        rule_name=data["rule_name"],
        severity=Severity(data["severity"]),
        subject=data["subject"],
        site=data["site"],
        summary=data["summary"],
        opened_at=datetime.fromisoformat(data["opened_at"]),
        at=datetime.fromisoformat(data["at"]),
        device_id=data.get("device_id"),
        details=data.get("details") or {},
    )
