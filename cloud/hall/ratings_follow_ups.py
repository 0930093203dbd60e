"""Follow-ups of 差评: reminders through the Notifier on the 10th, 13th and 15th working day
and once overdue; ``overdue`` when the deadline passed; closing takes a note (and an audit
entry) — 国办发〔2019〕51号 asks every 差评 to be rectified within 15 working days."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.auth.principal import Principal
from cloud.db import sites as site_repo
from cloud.db.models import utcnow
from cloud.errors import Conflict, NotFound
from cloud.hall.ratings_tables import HallFollowUp
from cloud.notify.model import Notice, NoticeKind, Notifier, Severity
from cloud.settings_ratings import RatingSettings
from fleet import ratings as rules
from fleet.workdays import WorkCalendar, parse_calendar

log = logging.getLogger(__name__)
_STAGE_ZH = {"day10": "第10个工作日", "day13": "第13个工作日", "day15": "第15个工作日（今日到期）"}


def load_calendar(settings: RatingSettings) -> WorkCalendar:
    """The built-in calendar, or the file ``hall_calendar_file`` names (a bad file stops
    startup with its reason)."""
    if settings.hall_calendar_file is None:
        return WorkCalendar()
    return parse_calendar(settings.hall_calendar_file.read_text(encoding="utf-8"))


def not_found(fu_id: int) -> NotFound:
    return NotFound(f"there is no follow-up {fu_id} (or it is outside your scope)")


class FollowUps:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        notifier: Notifier,
        calendar: WorkCalendar,
        channels: list[str],
    ) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self.calendar = calendar
        self._channels = channels
        self.reminded = asyncio.Event()

    def channels(self) -> list[str]:
        return list(self._channels) or self._notifier.channel_names()

    async def remind(self, now: datetime | None = None) -> list[tuple[int, str]]:
        """Mark the overdue, send each follow-up's due reminder once: (id, stage) sent."""
        now = now or utcnow()
        sent: list[tuple[int, str]] = []
        async with self._sessions() as s:
            rows = (
                await s.scalars(
                    select(HallFollowUp).where(HallFollowUp.state.in_(["open", "overdue"]))
                )
            ).all()
            paths = await site_repo.paths(s, {fu.site_id for fu in rows})
            notices = []
            for fu in rows:
                path = paths.get(fu.site_id, "")
                if fu.state == "open" and rules.is_overdue(fu.due_at, now):
                    fu.state = "overdue"
                    audit.add(s, _record("system:hall-ratings", "followup.overdue", fu, path, ""))
                stage = rules.due_reminder(fu.opened_at, fu.reminders, now, self.calendar)
                if stage is not None:
                    fu.reminders = [*fu.reminders, stage]
                    notices.append(_notice(fu, stage, path, now))
                    sent.append((fu.id, stage))
            await s.commit()
        for notice in notices:
            await self._notifier.notify(notice, self.channels())
        self.reminded.set()
        return sent

    async def close(self, fu_id: int, note: str, caller: Principal, ip: str = "") -> HallFollowUp:
        note = note.strip()
        if not note:
            raise Conflict("a follow-up is closed with a note saying what was done (整改情况)")
        async with self._sessions() as s:
            fu = await self.visible(s, fu_id, caller)
            if fu.state == "closed":
                raise Conflict(f"follow-up {fu_id} was closed already by {fu.closed_by}")
            fu.state, fu.note, fu.closed_at, fu.closed_by = "closed", note, utcnow(), caller.actor
            path = (await site_repo.paths(s, {fu.site_id})).get(fu.site_id, "")
            audit.add(s, _record(caller.actor, "followup.close", fu, path, note, ip))
            await s.commit()
            return fu

    async def assign(
        self, fu_id: int, assignee: str, caller: Principal, ip: str = ""
    ) -> HallFollowUp:
        async with self._sessions() as s:
            fu = await self.visible(s, fu_id, caller)
            if fu.state == "closed":
                raise Conflict(f"follow-up {fu_id} is closed; it cannot be reassigned")
            fu.assignee = assignee
            path = (await site_repo.paths(s, {fu.site_id})).get(fu.site_id, "")
            audit.add(s, _record(caller.actor, "followup.assign", fu, path, assignee, ip))
            await s.commit()
            return fu

    @staticmethod
    async def visible(s: AsyncSession, fu_id: int, caller: Principal) -> HallFollowUp:
        fu = await s.get(HallFollowUp, fu_id)
        if fu is None:
            raise not_found(fu_id)
        path = (await site_repo.paths(s, {fu.site_id})).get(fu.site_id, "")
        if not caller.sees(path):
            raise not_found(fu_id)
        return fu

    async def run(self, poll_s: float) -> None:
        while True:
            try:
                await self.remind()
            except Exception:
                log.exception("follow-up reminders failed; trying again in %.0f s", poll_s)
            await asyncio.sleep(poll_s)


def _record(
    actor: str, action: str, fu: HallFollowUp, site: str, message: str, ip: str = ""
) -> audit.AuditRecord:
    detail: dict[str, Any] = {"rating_id": fu.rating_id, "window": fu.window_no}
    return audit.AuditRecord(
        actor, action, audit.Result.OK, f"followup:{fu.id}", site, ip, message[:500], detail
    )


def _notice(fu: HallFollowUp, stage: str, site: str, now: datetime) -> Notice:
    level = rules.level(fu.level).name_zh
    when = "已超期" if stage == rules.OVERDUE else _STAGE_ZH[stage]
    due = (fu.due_at if fu.due_at.tzinfo else fu.due_at.replace(tzinfo=UTC)).astimezone(rules.CST)
    return Notice(
        key=f"followup:{fu.id}:{stage}",
        kind=NoticeKind.REMINDER,
        alert_id=fu.id,
        rule_id=0,
        rule_name="好差评整改",
        severity=Severity.MAJOR if stage == rules.OVERDUE else Severity.WARNING,
        subject=f"site:{site}",
        site=site,
        summary=f"差评整改提醒（{when}）：{fu.window_no}号窗口 {level}，"
        f"期限 {due:%Y-%m-%d %H:%M}，{fu.assignee or '未指派'}",
        opened_at=fu.opened_at,
        at=now,
        details={
            "follow_up": fu.id,
            "rating_id": fu.rating_id,
            "stage": stage,
            "due_at": fu.due_at.isoformat(),
            "window": fu.window_no,
            "staff": fu.staff_no,
        },
    )
