"""Writing a rating: one ``hall_ratings`` row per dedupe key, and the follow-up a 差评 opens,
in one transaction — so a 差评 is never stored without its follow-up (国办发〔2019〕51号:
every 差评 is followed up)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cloud import audit
from cloud.db.hall import HallRating
from cloud.db.models import utcnow
from cloud.hall.ratings_tables import HallFollowUp
from fleet import ratings as rules
from fleet.workdays import WorkCalendar

log = logging.getLogger(__name__)


@dataclass
class NewRating:
    """What a source knows of one rating (or an unanswered request)."""

    site_id: int
    dedupe_key: str
    source: str  # pad | kiosk | phone
    outcome: str  # rated | timed_out | abandoned
    level: int | None = None
    reasons: list[str] = field(default_factory=list)
    comment: str = ""
    ticket_id: int | None = None
    ticket_no: str = ""
    case_no: str = ""
    window_no: str = ""
    staff_no: str = ""
    service_code: str = ""
    device_id: str = ""
    asked_at: datetime | None = None
    rated_at: datetime | None = None


def _row(new: NewRating) -> HallRating:
    rated = new.outcome == "rated"
    return HallRating(
        site_id=new.site_id,
        dedupe_key=new.dedupe_key[:160],
        source=new.source,
        ticket_id=new.ticket_id,
        ticket_no=new.ticket_no[:8],
        case_no=new.case_no[:64],
        window_no=new.window_no[:8],
        staff_no=new.staff_no[:16],
        service_code=new.service_code[:32],
        device_id=new.device_id[:64],
        level=new.level if rated else None,
        reasons=new.reasons if rated else [],
        comment=new.comment[:500],
        outcome=new.outcome,
        asked_at=new.asked_at,
        rated_at=new.rated_at or utcnow(),
        # the provincial forwarder (cloud/hall/haocha) sends rated rows only
        fwd_state="pending" if rated else "skip",
        fwd_attempts=0,
        fwd_error="",
        fwd_ref="",
    )


async def existing(s: AsyncSession, dedupe_key: str) -> HallRating | None:
    row: HallRating | None = await s.scalar(
        select(HallRating).where(HallRating.dedupe_key == dedupe_key[:160])
    )
    return row


def checked(new: NewRating) -> NewRating:
    """``new`` with its reasons checked (a :class:`~fleet.ratings.RatingError` otherwise)."""
    if new.outcome == "rated":
        if new.level is None:
            raise rules.RatingError("a rated outcome needs a level 5 .. 1")
        new.reasons = rules.checked_reasons(new.level, new.reasons)
    return new


def _follow_up(row: HallRating, cal: WorkCalendar) -> HallFollowUp:
    opened = row.rated_at or utcnow()  # the clock starts when the citizen rated
    fu = HallFollowUp(
        site_id=row.site_id,
        rating_id=row.id,
        level=row.level,
        window_no=row.window_no,
        staff_no=row.staff_no,
        ticket_no=row.ticket_no,
        state="open",
        opened_at=opened,
        due_at=rules.deadline(opened, cal),
        assignee="",
        reminders=[],
        closed_by="",
        note="",
    )
    return fu


async def record(
    s: AsyncSession, new: NewRating, cal: WorkCalendar, site_path: str
) -> tuple[HallRating, bool]:
    """Store ``new`` unless its dedupe key is already stored: (the row, whether it is new).
    A concurrent duplicate loses on the unique key and gets the stored row."""
    if (old := await existing(s, new.dedupe_key)) is not None:
        return old, False
    row = _row(checked(new))
    s.add(row)
    try:
        await s.flush()  # a concurrent duplicate fails here (or at commit) on the unique key
        if rules.opens_follow_up(row.level):
            s.add(_follow_up(row, cal))
            audit.add(s, _opened(row, site_path))
        await s.commit()
    except IntegrityError:
        await s.rollback()
        again = await existing(s, new.dedupe_key)
        if again is None:
            raise
        return again, False
    return row, True


def _opened(row: HallRating, site_path: str) -> audit.AuditRecord:
    return audit.AuditRecord(
        "system:hall-ratings",
        "followup.open",
        audit.Result.OK,
        f"rating:{row.id}",
        site_path,
        "",
        f"差评 {row.level} at window {row.window_no or '-'}",
        {"ticket": row.ticket_no, "source": row.source},
    )
