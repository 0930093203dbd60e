"""The seeded cases (办件) of the simulated city 政务服务平台: realistic timelines for the pilot
sites' citizens, dated relative to the day the simulator starts so that "in progress" stays
in progress.

The people are the ID-card simulator's sample cards (``simulators.idcard_reader``): 王晓明 has
three cases (one under review, one waiting for more material 补正, one delivered), 马秀兰
twelve (more than one page), 才让多杰 three (one not accepted 不予受理, one decided, and one
classified 涉密 that the platform lists without its timeline and refuses to show with its own
code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

WANG = ("632801198805120137", "王晓明")
MA = ("632801196511030241", "马秀兰")
CAIRANG = ("63280120040229057X", "才让多杰")

#: status code → its name on the platform (受理 → 审查 → 决定 → 办结/送达; 补正; 不予受理)
STATUS = {
    "SL": "受理",
    "SC": "审查",
    "JD": "决定",
    "BJ": "办结",
    "SD": "送达",
    "BZ": "补正",
    "BYSL": "不予受理",
}
HALLS = {
    "hhl": "黄河路街道办事处便民服务中心",
    "tgls": "唐古拉山镇便民服务中心",
    "bayi": "八一社区便民服务点",
}


@dataclass(frozen=True)
class Seed:
    """One case: who, what, where, and the nodes it passed (each days after acceptance)."""

    seq: int
    person: tuple[str, str]
    item: str
    dept: str
    hall: str
    days_ago: int
    promise_days: int
    nodes: tuple[tuple[str, int, str, str], ...]  # (status code, day offset, result, opinion)
    secret: bool = False


_ACCEPT = ("SL", 0, "受理通过", "材料齐全，予以受理")
_REVIEW = ("SC", 2, "审查通过", "经审查符合条件")
_SEEDS: tuple[Seed, ...] = (
    Seed(1, WANG, "退役军人待遇申领", "格尔木市退役军人事务局", "hhl", 3, 15, (_ACCEPT,)),
    Seed(
        2,
        WANG,
        "户口迁移（迁入）",
        "格尔木市公安局黄河路派出所",
        "hhl",
        6,
        10,
        (_ACCEPT, ("BZ", 2, "需补正材料", "请补充提交：房屋产权证明原件及复印件一份")),
    ),
    Seed(
        3,
        WANG,
        "灵活就业人员社会保险登记",
        "格尔木市社会保险服务中心",
        "hhl",
        40,
        5,
        (
            _ACCEPT,
            _REVIEW,
            ("JD", 3, "准予登记", "同意登记"),
            ("BJ", 3, "办结", "已办结"),
            ("SD", 4, "已送达", "结果已通过短信告知申请人"),
        ),
    ),
    Seed(
        4,
        MA,
        "高龄补贴申领",
        "格尔木市民政局",
        "bayi",
        30,
        20,
        (
            _ACCEPT,
            _REVIEW,
            ("JD", 8, "准予发放", "符合高龄补贴发放条件"),
            ("BJ", 9, "办结", "自次月起按月发放"),
        ),
    ),
    Seed(
        5,
        MA,
        "残疾人证新办",
        "格尔木市残疾人联合会",
        "bayi",
        5,
        30,
        (
            _ACCEPT,
            ("SC", 1, "审查中", "已安排残疾等级评定"),
        ),
    ),
    Seed(
        6,
        MA,
        "最低生活保障申请",
        "格尔木市民政局",
        "bayi",
        50,
        30,
        (("BYSL", 0, "不予受理", "家庭人均收入高于当地低保标准，不符合申请条件"),),
    ),
    Seed(
        7,
        MA,
        "城乡居民医疗保险参保登记",
        "格尔木市医疗保障局",
        "bayi",
        120,
        5,
        (
            _ACCEPT,
            ("BJ", 1, "办结", "参保登记完成"),
        ),
    ),
    Seed(
        8,
        MA,
        "老年人优待证办理",
        "格尔木市民政局",
        "bayi",
        200,
        10,
        (
            _ACCEPT,
            ("BJ", 3, "办结", "优待证已制作"),
            ("SD", 5, "已送达", "申请人已现场领取"),
        ),
    ),
    Seed(
        9,
        MA,
        "居住证明开具",
        "八一社区居民委员会",
        "bayi",
        210,
        1,
        (
            _ACCEPT,
            ("BJ", 0, "办结", "当场办结"),
        ),
    ),
    Seed(
        10,
        MA,
        "医疗救助申请",
        "格尔木市医疗保障局",
        "bayi",
        240,
        20,
        (
            _ACCEPT,
            _REVIEW,
            ("JD", 10, "准予救助", "按规定比例救助"),
            ("BJ", 12, "办结", "已拨付"),
        ),
    ),
    Seed(
        11,
        MA,
        "城乡居民养老保险待遇领取",
        "格尔木市社会保险服务中心",
        "bayi",
        260,
        15,
        (
            _ACCEPT,
            _REVIEW,
            ("BJ", 6, "办结", "待遇已核定"),
        ),
    ),
    Seed(
        12,
        MA,
        "临时救助申请",
        "格尔木市民政局",
        "bayi",
        300,
        15,
        (
            _ACCEPT,
            ("BJ", 7, "办结", "已发放临时救助金"),
        ),
    ),
    Seed(
        13,
        MA,
        "社会保障卡补领",
        "格尔木市社会保险服务中心",
        "bayi",
        320,
        10,
        (
            _ACCEPT,
            ("BJ", 5, "办结", "新卡已制作"),
            ("SD", 8, "已送达", "已邮寄送达"),
        ),
    ),
    Seed(
        14,
        MA,
        "计划生育家庭特别扶助",
        "格尔木市卫生健康委员会",
        "bayi",
        340,
        30,
        (
            _ACCEPT,
            ("BJ", 20, "办结", "已纳入扶助范围"),
        ),
    ),
    Seed(
        15,
        MA,
        "尊老金申领（补发）",
        "格尔木市民政局",
        "bayi",
        360,
        20,
        (
            _ACCEPT,
            ("BJ", 10, "办结", "已补发"),
        ),
    ),
    Seed(
        16,
        CAIRANG,
        "农村宅基地和建房（规划许可）申请",
        "唐古拉山镇人民政府",
        "tgls",
        20,
        20,
        (("BYSL", 0, "不予受理", "申请人未满十八周岁时不属于独立户，请以户主名义申请"),),
    ),
    Seed(
        17,
        CAIRANG,
        "生源地信用助学贷款",
        "格尔木市教育局",
        "tgls",
        10,
        15,
        (
            _ACCEPT,
            _REVIEW,
            ("JD", 4, "准予贷款", "审核通过，待银行放款"),
        ),
    ),
    Seed(18, CAIRANG, "兵役登记", "格尔木市人民武装部", "tgls", 8, 10, (_ACCEPT,), secret=True),
)


def case_no(seq: int, accepted: date) -> str:
    """``GEM`` (格尔木) + acceptance date + a 4-digit sequence: ``GEM202611030012``."""
    return f"GEM{accepted:%Y%m%d}{seq:04d}"


def _at(day: date, offset: int, seq: int) -> datetime:
    return datetime.combine(day + timedelta(days=offset), time(9 + seq % 7, 10 + seq % 40))


def _fmt(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else None


def _record(seed: Seed, today: date) -> dict[str, Any]:
    accepted = today - timedelta(days=seed.days_ago)
    nodes = [
        {
            "nodeCode": code,
            "nodeName": STATUS[code],
            "handleTime": _fmt(_at(accepted, offset, seed.seq + i)),
            "handleDept": seed.dept,
            "handleResult": result,
            "handleOpinion": opinion,
        }
        for i, (code, offset, result, opinion) in enumerate(seed.nodes)
    ]
    status = seed.nodes[-1][0]
    done = status in ("BJ", "SD", "BYSL")
    return {
        "caseNo": case_no(seed.seq, accepted),
        "itemName": seed.item,
        "deptName": seed.dept,
        "hallName": HALLS[seed.hall],
        "applicantName": seed.person[1],
        "certNo": seed.person[0],
        "caseStatus": status,
        "caseStatusName": STATUS[status],
        "acceptTime": nodes[0]["handleTime"],
        "promiseTime": _fmt(_at(accepted, seed.promise_days, 0)),
        "finishTime": nodes[-1]["handleTime"] if done else None,
        "nodes": nodes,
        "secret": seed.secret,
    }


def seeded_cases(today: date) -> list[dict[str, Any]]:
    """Every seeded case as the platform stores it, newest acceptance first."""
    records = [_record(seed, today) for seed in _SEEDS]
    return sorted(records, key=lambda r: str(r["acceptTime"]), reverse=True)
