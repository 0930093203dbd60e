"""好差评 (国办发〔2019〕51号) decisions, free of I/O: the five levels, which levels take reasons,
which open a follow-up, its 15-working-day deadline and its reminder schedule.

Levels are 5 非常满意 .. 1 非常不满意 (the pad's codes). Reasons (``protocols.hall.Reason``) belong
to the three lower levels only; a 不满意 or 非常不满意 (差评) opens one follow-up for a
supervisor, due at the end of the 15th working day after the rating (China Standard Time), with
reminders on the 10th, 13th and 15th working day and once when it is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from fleet.workdays import WorkCalendar
from protocols.hall import RATING_NAMES, RATING_NAMES_EN, REASON_NAMES, REASON_NAMES_EN, Reason

#: China Standard Time (no daylight saving): the halls' working days are counted in it
CST = timezone(timedelta(hours=8), "CST")
LEVELS: tuple[int, ...] = (5, 4, 3, 2, 1)
#: levels that may carry reasons (基本满意 and below)
REASON_LEVELS = frozenset({1, 2, 3})
#: 差评: levels that open a follow-up (不满意, 非常不满意)
BAD_LEVELS = frozenset({1, 2})
#: levels that count as satisfied in the satisfaction rate ((5+4+3) / rated)
SATISFIED_LEVELS = frozenset({3, 4, 5})
FOLLOW_UP_WORKDAYS = 15
#: reminder stages: (name, working day it is due on); ``overdue`` once the deadline passed
REMINDER_DAYS: tuple[tuple[str, int], ...] = (("day10", 10), ("day13", 13), ("day15", 15))
OVERDUE = "overdue"
#: when in the working day a reminder goes out (local time)
REMINDER_AT = time(9, 0)


class RatingError(ValueError):
    """A rating that cannot be stored as given; the message says what and what to do."""


@dataclass(frozen=True, slots=True)
class Level:
    code: int
    name_zh: str
    name_en: str


def level(code: int) -> Level:
    if code not in RATING_NAMES:
        raise RatingError(
            f"rating level {code} does not exist: give 5 (非常满意) .. 1 (非常不满意)"
        )
    return Level(code, RATING_NAMES[code], RATING_NAMES_EN[code])


def levels() -> list[Level]:
    return [level(c) for c in LEVELS]


def reasons() -> list[tuple[str, str, str]]:
    """(code, zh, en) of every reason, in the order the pad shows them."""
    return [(r.value, REASON_NAMES[r], REASON_NAMES_EN[r]) for r in Reason]


def checked_reasons(code: int, given: Iterable[str]) -> list[str]:
    """``given`` as stored: known codes, each once, in the order given; only for levels 1..3."""
    level(code)
    out: list[str] = []
    known = {r.value for r in Reason}
    for raw in given:
        if raw not in known:
            raise RatingError(
                f"reason {raw[:32]!r} is unknown; the reasons are: {', '.join(sorted(known))}"
            )
        if raw not in out:
            out.append(raw)
    if out and code not in REASON_LEVELS:
        raise RatingError(
            f"a {RATING_NAMES[code]} ({code}) rating takes no reasons: reasons are for 3 .. 1"
        )
    return out


def opens_follow_up(code: int | None) -> bool:
    return code is not None and code in BAD_LEVELS


def local_day(at: datetime) -> date:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # the database keeps naive UTC
    return at.astimezone(CST).date()


def _start_of(day: date, at: time = time(0, 0)) -> datetime:
    return datetime.combine(day, at, CST).astimezone(UTC)


def deadline(
    opened_at: datetime, cal: WorkCalendar, workdays: int = FOLLOW_UP_WORKDAYS
) -> datetime:
    """The end of the ``workdays``-th working day after the day of ``opened_at`` (CST), in UTC:
    a 差评 given on a Friday evening is due at midnight after the 15th working day."""
    last = cal.add(local_day(opened_at), workdays)
    return _start_of(last + timedelta(days=1))


def reminder_times(opened_at: datetime, cal: WorkCalendar) -> list[tuple[str, datetime]]:
    """Each stage with the time it is due; ``overdue`` is due at the deadline."""
    day = local_day(opened_at)
    out = [(name, _start_of(cal.add(day, n), REMINDER_AT)) for name, n in REMINDER_DAYS]
    out.append((OVERDUE, deadline(opened_at, cal)))
    return out


def due_reminder(
    opened_at: datetime, sent: Sequence[str], now: datetime, cal: WorkCalendar
) -> str | None:
    """The stage to send now: the latest one due that was not sent (older missed ones are
    skipped — one reminder says it all), or None."""
    due = [name for name, at in reminder_times(opened_at, cal) if at <= _aware(now)]
    if not due or due[-1] in sent:
        return None
    return due[-1]


def is_overdue(due_at: datetime, now: datetime) -> bool:
    return _aware(now) >= _aware(due_at)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def satisfaction(counts: dict[int, int]) -> float | None:
    """(5+4+3) / rated, or None when nobody rated."""
    rated = sum(counts.get(c, 0) for c in LEVELS)
    if rated == 0:
        return None
    return sum(counts.get(c, 0) for c in SATISFIED_LEVELS) / rated
