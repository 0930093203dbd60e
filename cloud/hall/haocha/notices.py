"""Telling operators (through the message service's channels) what needs a person: a rating
the provincial platform refused for good, and forwarding that has been failing for a long
time (the platform away, our credentials refused). One notice per refused rating attempt and
one per failing spell (its key names the spell), so a restart or a redelivery tells once."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from cloud.db.models import utcnow
from cloud.hall.haocha.store import Claimed
from cloud.notify.model import Notice, NoticeKind, Notifier, Severity

log = logging.getLogger(__name__)
RULE_NAME = "好差评转发"


class ForwardingNotices:
    def __init__(
        self, notifier: Notifier, channels: Sequence[str] = (), alarm_after_s: float = 3600.0
    ) -> None:
        self._notifier = notifier
        self._channels = list(channels)
        self.alarm_after = timedelta(seconds=alarm_after_s)
        self._told_spell: datetime | None = None

    def channels(self) -> list[str]:
        return list(self._channels) or self._notifier.channel_names()

    async def refused(self, c: Claimed, error: str) -> None:
        now, row = utcnow(), c.row
        await self._tell(
            Notice(
                key=f"haocha:refused:{c.id}:{row['fwd_attempts']}",
                kind=NoticeKind.OPENED,
                alert_id=c.id,
                rule_id=0,
                rule_name=RULE_NAME,
                severity=Severity.WARNING,
                subject=f"site:{c.site_path}",
                site=c.site_path,
                summary=f"好差评被省平台拒收：{c.site_name} {row['window_no']}号窗口 评价{c.id}，"
                f"{error[:60]}",
                opened_at=row["rated_at"],
                at=now,
                details={"rating_id": c.id, "error": error, "window": row["window_no"]},
            )
        )

    async def failing(self, since: datetime | None, last_error: str) -> None:
        """Called after each pass; tells once when a failing spell passes ``alarm_after``."""
        now = utcnow()
        if since is None or now - since < self.alarm_after or self._told_spell == since:
            return
        self._told_spell = since
        minutes = int((now - since).total_seconds() // 60)
        await self._tell(
            Notice(
                key=f"haocha:failing:{since.isoformat()}",
                kind=NoticeKind.OPENED,
                alert_id=0,
                rule_id=0,
                rule_name=RULE_NAME,
                severity=Severity.MAJOR,
                subject="haocha",
                site="",
                summary=f"好差评转发省平台失败已持续{minutes}分钟，评价暂存待发：{last_error[:60]}",
                opened_at=since,
                at=now,
                details={"failing_since": since.isoformat(), "last_error": last_error},
            )
        )

    async def _tell(self, notice: Notice) -> None:
        try:
            await self._notifier.notify(notice, self.channels())
        except Exception:  # the database away: the log still says it
            log.exception("could not record the notice %s: %s", notice.key, notice.summary)
