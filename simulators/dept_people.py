"""The test people the simulated departments know (shared so a person's records agree across
departments). The first three are the ID-card reader simulator's sample cards
(``simulators.idcard_reader.SAMPLE_CARDS``; 王晓明 is its default card). Fictional people with
valid GB 11643 check digits; phones are the simulated identity platform's business."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Citizen:
    id_number: str
    name: str
    sex: str
    birth: str  # YYYY-MM-DD
    address: str


WANG_XIAOMING = Citizen(
    "632801198805120137",
    "王晓明",
    "男",
    "1988-05-12",
    "青海省格尔木市黄河路街道昆仑中路18号3单元201室",
)
MA_XIULAN = Citizen(
    "632801196511030241", "马秀兰", "女", "1965-11-03", "青海省格尔木市八一路社区团结巷7号"
)
CAIRANG = Citizen(
    "63280120040229057X", "才让多杰", "男", "2004-02-29", "青海省格尔木市唐古拉山镇长江源村42号"
)
LI_GUIYING = Citizen(
    "632801194003150328", "李桂英", "女", "1940-03-15", "青海省格尔木市黄河路街道盐桥北路9号"
)
ZHANG_JIANHUA = Citizen(
    "632801197809211015", "张建华", "男", "1978-09-21", "青海省格尔木市河西街道柴达木路120号"
)
MA_LI = Citizen(
    "632801199207084628", "马丽", "女", "1992-07-08", "青海省格尔木市昆仑路街道江源南路33号"
)
PEOPLE: dict[str, Citizen] = {
    c.id_number: c for c in (WANG_XIAOMING, MA_XIULAN, CAIRANG, LI_GUIYING, ZHANG_JIANHUA, MA_LI)
}


def months(first: str, last: str) -> list[str]:
    """``YYYYMM`` months from ``first`` to ``last`` inclusive, newest first."""
    y, m = int(first[:4]), int(first[4:])
    out: list[str] = []
    while f"{y:04d}{m:02d}" <= last:
        out.append(f"{y:04d}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out[::-1]


def rng(*seed: str) -> random.Random:
    """A repeatable random source for one person's records at one department."""
    return random.Random("|".join(seed))
