"""Who may register for the 高龄补贴 (old-age allowance): the one rule the kiosk's agent (on
the card it just read, offline) and the cloud (again, before the 民政局 is called) both apply.

Age is counted from the birth date inside the ID number (positions 7-14), in whole years on
the day in Beijing: a citizen becomes 70 on their 70th birthday (29 February birthdays on 1
March in a common year). A refusal says the age, the rule and the day they may come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from protocols.idcard.text import is_valid_id_number

__all__ = ["MIN_AGE", "Eligibility", "age_on", "birth_of", "eligibility"]

#: the 青海省 old-age allowance starts at 70 (the tiers 70-79, 80-89, 90-99, 100+)
MIN_AGE = 70


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    age: int
    #: the allowance tier the age falls in (70-79周岁...), "" when not eligible
    tier: str
    #: the citizen's sentence when refused ("" when eligible)
    reason: str
    reason_en: str


def birth_of(id_number: str) -> date:
    """The birth date an ID number carries. Raises ``ValueError`` for an invalid number."""
    value = id_number.strip().upper()
    if not is_valid_id_number(value):
        raise ValueError("not a valid ID number")
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def _birthday_in(birth: date, year: int) -> date:
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def age_on(birth: date, today: date) -> int:
    """Whole years from ``birth`` to ``today``."""
    years = today.year - birth.year
    return years if today >= _birthday_in(birth, today.year) else years - 1


def _tier(age: int) -> str:
    if age >= 100:
        return "100周岁以上"
    low = age // 10 * 10
    return f"{low}-{low + 9}周岁"


def eligibility(id_number: str, today: date) -> Eligibility:
    """Whether the holder of ``id_number`` may register today, and if not, why."""
    birth = birth_of(id_number)
    age = age_on(birth, today)
    if age >= MIN_AGE:
        return Eligibility(True, age, _tier(age), "", "")
    due = _birthday_in(birth, birth.year + MIN_AGE)
    return Eligibility(
        False,
        age,
        "",
        f"您今年{age}周岁。高龄补贴需年满{MIN_AGE}周岁方可登记，"
        f"您将于{due.year}年{due.month}月{due.day}日年满{MIN_AGE}周岁，届时欢迎再来办理。",
        f"You are {age}. The old-age allowance starts at {MIN_AGE}; you turn {MIN_AGE} on "
        f"{due.isoformat()} and are welcome to register from that day.",
    )
