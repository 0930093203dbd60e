"""Fictional card holders made fresh for each test run, and the search for their data.

Each run draws new people (name, birth date, address, ID number with a valid check digit,
one ending in ``X``) from a seed, so no hard-coded mask or value can pass the privacy tests.
:func:`leaks` finds any of their raw data in text or bytes, in every encoding it could take
on the way: UTF-8, GBK, UTF-16 (the reader's text block is UCS-2 little-endian) and JSON's
``\\uXXXX`` escapes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta

from protocols.idcard import IdCardText, id_check_digit, mask_id_number, mask_name

# given names and streets that appear nowhere in the site tree or device names
_SURNAMES = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
_GIVEN = ("晓明", "秀兰", "多杰", "桂英", "志强", "丽娟", "海燕", "卓玛", "德吉", "永福")
_STREETS = ("昆仑南路", "柴达木西路", "盐桥北路", "迎宾东路", "江源南路", "察尔汗东巷")
_NATIONS = ("汉", "藏", "回", "蒙古", "土", "撒拉")
_ISSUER = "格尔木市公安局"


@dataclass(frozen=True)
class Person:
    """One card holder and every form of their data that must never leave the reader."""

    label: str
    card: IdCardText

    @property
    def masked(self) -> dict[str, str]:
        """The ``idcard_read`` event data the agent must send for this card."""
        return {"id_number": mask_id_number(self.card.id_number), "name": mask_name(self.card.name)}

    def needles(self) -> dict[str, str]:
        """Raw data as text, by what it is: none of it may appear anywhere."""
        c, b = self.card, self.card.birth_date
        out = {
            "id_number": c.id_number,
            "name": c.name,
            "given_name": c.name[1:],
            "birth_YYYYMMDD": f"{b.year:04d}{b.month:02d}{b.day:02d}",
            "birth_YYYY-MM-DD": b.isoformat(),
            "address": c.address,
            "address_tail": c.address[6:],  # past the 6 characters the masked form keeps
        }
        out["legacy_id_15"] = legacy_id(c.id_number)
        if c.id_number.endswith("X"):
            out["id_number_lower_x"] = c.id_number.lower()
        return out

    def byte_needles(self) -> dict[str, bytes]:
        """The needles as bytes in every encoding they could be stored in."""
        out: dict[str, bytes] = {}
        for what, text in self.needles().items():
            out[f"{what} utf-8"] = text.encode()
            out[f"{what} json-escaped"] = json.dumps(text).strip('"').encode()
            # 2-character CJK needles (a given name) are searched in UTF-8 only: 4 bytes of
            # GBK or UTF-16 turn up by chance in binary files
            if what != "given_name":
                out[f"{what} utf-16-le"] = text.encode("utf-16-le")
                out[f"{what} utf-16-be"] = text.encode("utf-16-be")
                out[f"{what} gbk"] = text.encode("gbk")
        return out


def legacy_id(id_number: str) -> str:
    """The 15-digit number of the same person (before 1999: no century, no check digit)."""
    return id_number[:6] + id_number[8:17]


def _id_number(rng: random.Random, born: date, *, want_x: bool) -> str:
    while True:
        first17 = f"632801{born:%Y%m%d}{rng.randrange(1000):03d}"
        check = id_check_digit(first17)
        if (check == "X") == want_x:
            return first17 + check


def make_people(seed: int, count: int = 4) -> list[Person]:
    """``count`` different people; the first one's ID number ends in ``X``."""
    rng = random.Random(seed)
    surnames = rng.sample(_SURNAMES, count)
    given = rng.sample(_GIVEN, count)
    people = []
    for i in range(count):
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(66 * 365))
        card = IdCardText(
            name=surnames[i] + given[i],
            sex=rng.choice(("男", "女")),
            nation=rng.choice(_NATIONS),
            birth_date=born,
            address=f"青海省格尔木市{rng.choice(_STREETS)}{rng.randrange(1, 400)}号"
            f"{rng.randrange(1, 9)}单元{rng.randrange(101, 1800)}室",
            id_number=_id_number(rng, born, want_x=i == 0),
            issuer=_ISSUER,
            valid_from=date(2020, 1, 1) + timedelta(days=rng.randrange(1500)),
            valid_until="长期",
        )
        people.append(Person(f"person {i} (seed {seed})", card))
    return people


def leaks(people: list[Person], where: str, data: str | bytes) -> list[str]:
    """Every raw datum of ``people`` found in ``data``, as 'what of whom in where'."""
    found = []
    for person in people:
        if isinstance(data, str):
            needles = {
                **person.needles(),
                **{
                    f"{k} json-escaped": json.dumps(v).strip('"')
                    for k, v in person.needles().items()
                },
            }
            found += [
                f"{what} of {person.label} in {where}" for what, n in needles.items() if n in data
            ]
        else:
            found += [
                f"{what} of {person.label} in {where}"
                for what, n in person.byte_needles().items()
                if n in data
            ]
    return found
