"""The working-day calendar of the mainland's public administration: Monday to Friday, minus
the State Council's public holidays, plus the weekend days it declares working days (调休).

Why a calendar and not ``+ timedelta(days=21)``: 国办发〔2019〕51号 gives a 差评 15 *working*
days to be rectified, and a Spring Festival week (9 days off, a make-up Saturday on each side)
moves that deadline by more than a week. The defaults below are a starting point; the notice
for each year is published in the November before it, so a deployment loads the current list
from a setting or a data file (:func:`parse_calendar`).

Default data (an assumption to check against the year's notice):
- 2026: 国务院办公厅 notice on the 2026 holidays (国办发明电〔2025〕7号) as published.
- 2027: NOT yet known when this was written. The statutory days are listed on their 2027 dates
  (元旦 1-1; 春节 除夕 2-5 .. 初三 2-8; 清明 4-5; 劳动节 5-1, 5-2; 端午 6-9; 中秋 9-15;
  国庆 10-1 .. 10-3), with no bridging days and no make-up workdays. Replace them with the
  official list once published (setting ``hall_calendar_file``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


def _days(first: str, last: str | None = None) -> list[date]:
    start = date.fromisoformat(first)
    end = date.fromisoformat(last) if last else start
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


DEFAULT_HOLIDAYS: frozenset[date] = frozenset(
    [
        # 2026 (official)
        *_days("2026-01-01", "2026-01-03"),  # 元旦
        *_days("2026-02-15", "2026-02-23"),  # 春节
        *_days("2026-04-04", "2026-04-06"),  # 清明节
        *_days("2026-05-01", "2026-05-05"),  # 劳动节
        *_days("2026-06-19", "2026-06-21"),  # 端午节
        *_days("2026-09-25", "2026-09-27"),  # 中秋节
        *_days("2026-10-01", "2026-10-07"),  # 国庆节
        # 2027 (assumed: statutory days only, see the module docstring)
        *_days("2027-01-01"),
        *_days("2027-02-05", "2027-02-08"),
        *_days("2027-04-05"),
        *_days("2027-05-01", "2027-05-02"),
        *_days("2027-06-09"),
        *_days("2027-09-15"),
        *_days("2027-10-01", "2027-10-03"),
    ]
)
#: weekend days that are working days (调休上班), 2026 official
DEFAULT_WORKDAYS: frozenset[date] = frozenset(
    date.fromisoformat(d)
    for d in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days: weekdays that are not ``holidays``, and ``workdays``."""

    holidays: frozenset[date] = DEFAULT_HOLIDAYS
    workdays: frozenset[date] = DEFAULT_WORKDAYS
    #: the years the lists cover (a date outside is computed from weekends only)
    years: frozenset[int] = field(default_factory=lambda: frozenset({2026, 2027}))

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself does not count)."""
        if n < 0:
            raise ValueError(f"cannot add {n} working days: the count must be 0 or more")
        day, left = start, n
        while left > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if ``end <= start``)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count


class CalendarError(ValueError):
    """A calendar setting or file that cannot be read (the message says where and why)."""


def _dates(raw: Any, what: str) -> frozenset[date]:
    if not isinstance(raw, list):
        raise CalendarError(
            f"{what} must be a list of dates (YYYY-MM-DD), not {type(raw).__name__}"
        )
    out = []
    for item in raw:
        try:
            out.append(date.fromisoformat(str(item)))
        except ValueError:
            raise CalendarError(
                f"{what}: {str(item)[:40]!r} is not a date; write it as YYYY-MM-DD"
            ) from None
    return frozenset(out)


def parse_calendar(text: str) -> WorkCalendar:
    """A calendar from JSON ``{"holidays": [...], "workdays": [...]}``: it REPLACES the
    defaults for the years it names (a year's list is all of that year's changes)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise CalendarError(f"the holiday calendar is not JSON: {err}") from None
    if not isinstance(raw, dict) or set(raw) - {"holidays", "workdays"}:
        raise CalendarError(
            'the holiday calendar must be an object {"holidays": [...], "workdays": [...]}'
        )
    holidays = _dates(raw.get("holidays", []), "holidays")
    workdays = _dates(raw.get("workdays", []), "workdays")
    clash = holidays & workdays
    if clash:
        raise CalendarError(f"{min(clash)} is both a holiday and a make-up workday")
    years = {d.year for d in holidays | workdays}
    return merged(years, holidays, workdays)


def merged(
    years: Iterable[int], holidays: frozenset[date], workdays: frozenset[date]
) -> WorkCalendar:
    keep = set(years)
    base = WorkCalendar()
    return WorkCalendar(
        frozenset(d for d in base.holidays if d.year not in keep) | holidays,
        frozenset(d for d in base.workdays if d.year not in keep) | workdays,
        base.years | frozenset(keep),
    )
