"""好差评 rules (fleet.ratings, fleet.workdays): levels and reasons, which ratings open a
follow-up, and the 15-working-day deadline across holiday weeks and make-up Saturdays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cloud.hall.ratings_follow_ups import load_calendar
from cloud.settings_ratings import RatingSettings
from fleet import ratings as rules
from fleet.workdays import CalendarError, WorkCalendar, parse_calendar

CAL = WorkCalendar()
WEEKENDS_ONLY = WorkCalendar(frozenset(), frozenset())


def cst(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=rules.CST)


def test_levels_have_chinese_and_english_names_best_first() -> None:
    assert [(lv.code, lv.name_zh) for lv in rules.levels()] == [
        (5, "非常满意"),
        (4, "满意"),
        (3, "基本满意"),
        (2, "不满意"),
        (1, "非常不满意"),
    ]
    assert rules.level(1).name_en == "Very dissatisfied"
    with pytest.raises(rules.RatingError, match="level 6 does not exist"):
        rules.level(6)


def test_reasons_only_for_the_three_lower_levels() -> None:
    assert rules.checked_reasons(3, ["slow", "slow", "attitude"]) == ["slow", "attitude"]
    assert rules.checked_reasons(5, []) == []
    with pytest.raises(rules.RatingError, match="takes no reasons"):
        rules.checked_reasons(4, ["slow"])
    with pytest.raises(rules.RatingError, match="reason 'rude' is unknown"):
        rules.checked_reasons(1, ["rude"])


def test_only_dissatisfied_levels_open_a_follow_up() -> None:
    assert [c for c in (5, 4, 3, 2, 1, None) if rules.opens_follow_up(c)] == [2, 1]


def test_make_up_saturday_is_a_working_day_and_holiday_weekdays_are_not() -> None:
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday, 调休上班 before 春节
    assert not CAL.is_workday(date(2026, 2, 21))  # an ordinary Saturday inside 春节
    assert not CAL.is_workday(date(2026, 2, 23))  # Monday, 春节
    assert CAL.is_workday(date(2026, 2, 24))
    assert CAL.add(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert CAL.add(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_deadline_across_the_spring_festival() -> None:
    # Friday 13 Feb: Sat 14 (make-up) is day 1, the holiday to 23 Feb, Sat 28 (make-up) day 6
    due = rules.deadline(cst(2026, 2, 13), CAL)
    assert due == datetime(2026, 3, 13, tzinfo=rules.CST)  # the end of Thu 12 March
    assert rules.deadline(cst(2026, 2, 13), WEEKENDS_ONLY) == datetime(2026, 3, 7, tzinfo=rules.CST)


def test_deadline_across_mid_autumn_and_national_day_with_a_make_up_saturday() -> None:
    due = rules.deadline(cst(2026, 9, 23), CAL)
    assert due == datetime(2026, 10, 22, tzinfo=rules.CST)  # Sat 10 Oct counts as day 7
    assert rules.deadline(cst(2026, 9, 23), WEEKENDS_ONLY) == datetime(
        2026, 10, 15, tzinfo=rules.CST
    )


def test_the_day_is_counted_in_china_standard_time() -> None:
    late_utc = datetime(2026, 2, 13, 17, 0, tzinfo=UTC)  # 01:00 on Sat 14 Feb in Beijing
    assert rules.local_day(late_utc) == date(2026, 2, 14)
    # naive datetimes are UTC (as the database keeps them)
    assert rules.local_day(datetime(2026, 2, 13, 17, 0)) == date(2026, 2, 14)
    assert rules.deadline(late_utc, CAL) == datetime(2026, 3, 14, tzinfo=rules.CST)


def test_reminders_send_the_latest_due_stage_once() -> None:
    opened = cst(2026, 9, 23)
    times = dict(rules.reminder_times(opened, CAL))
    assert times["day10"] == datetime(2026, 10, 14, 9, tzinfo=rules.CST)
    assert times["overdue"] == rules.deadline(opened, CAL)
    assert rules.due_reminder(opened, [], cst(2026, 10, 13, 23), CAL) is None
    assert rules.due_reminder(opened, [], cst(2026, 10, 14, 9), CAL) == "day10"
    assert rules.due_reminder(opened, ["day10"], cst(2026, 10, 14, 12), CAL) is None
    # the worker was away for days: only the newest stage goes out
    assert rules.due_reminder(opened, ["day10"], cst(2026, 10, 23), CAL) == "overdue"
    assert rules.is_overdue(times["overdue"], cst(2026, 10, 22, 0))


def test_satisfaction_rate_counts_three_to_five_over_rated() -> None:
    assert rules.satisfaction({5: 2, 4: 1, 3: 1, 2: 0, 1: 1}) == pytest.approx(0.8)
    assert rules.satisfaction({}) is None


def test_a_calendar_file_replaces_the_defaults_for_its_years() -> None:
    cal = parse_calendar('{"holidays": ["2027-02-05", "2027-02-09"], "workdays": ["2027-02-13"]}')
    assert not cal.is_workday(date(2027, 2, 9)) and cal.is_workday(date(2027, 2, 8))
    assert cal.is_workday(date(2027, 2, 13))  # a Saturday made a working day
    assert not cal.is_workday(date(2026, 2, 23))  # 2026 defaults untouched
    with pytest.raises(CalendarError, match="'2027-13-01' is not a date"):
        parse_calendar('{"holidays": ["2027-13-01"]}')
    with pytest.raises(CalendarError, match="both a holiday and a make-up workday"):
        parse_calendar('{"holidays": ["2027-02-13"], "workdays": ["2027-02-13"]}')
    with pytest.raises(CalendarError, match="not JSON"):
        parse_calendar("holidays: yes")


def test_the_calendar_setting_loads_a_file_and_a_bad_one_says_why(tmp_path: Path) -> None:
    good = tmp_path / "holidays.json"
    good.write_text('{"holidays": ["2027-02-09"], "workdays": []}', encoding="utf-8")
    cal = load_calendar(RatingSettings(hall_calendar_file=good))
    assert not cal.is_workday(date(2027, 2, 9))
    assert load_calendar(RatingSettings()) == WorkCalendar()
    bad = tmp_path / "bad.json"
    bad.write_text('{"holidays": "2027-02-09"}', encoding="utf-8")
    with pytest.raises(CalendarError, match="must be a list of dates"):
        load_calendar(RatingSettings(hall_calendar_file=bad))
