"""A large service-guide catalogue for the kiosk benchmark: 5,000 items named the way the
provincial catalogue names them (object + matter + act: 城乡居民基本养老保险待遇申领), across
the departments and themes of a county, with keywords, materials and a few situations — so
the search index meets names that share most of their characters, as the real one does.

And the searches a citizen types: whole words, pinyin, initials (``gjj``), a department, a
typo-free prefix, something that matches nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from protocols.guide import Catalogue, Department, Item, Material, Option, Question, Theme

DEPARTMENTS = [
    ("hrss", "人力资源和社会保障局"),
    ("civil", "民政局"),
    ("police", "公安局"),
    ("medical", "医疗保障局"),
    ("housing", "住房和城乡建设局"),
    ("gjj", "住房公积金管理中心"),
    ("veterans", "退役军人事务局"),
    ("health", "卫生健康委员会"),
    ("edu", "教育局"),
    ("market", "市场监督管理局"),
    ("tax", "税务局"),
    ("agri", "农业农村局"),
    ("land", "自然资源局"),
    ("disabled", "残疾人联合会"),
    ("transport", "交通运输局"),
]
THEMES = [
    ("birth", "生育收养"),
    ("school", "教育培训"),
    ("work", "就业创业"),
    ("social", "社会保障"),
    ("medical", "医疗卫生"),
    ("housing", "住房保障"),
    ("household", "户籍办理"),
    ("old", "养老服务"),
    ("veteran", "退役军人"),
    ("poor", "社会救助"),
    ("business", "设立变更"),
    ("farm", "农业农村"),
]
OBJECTS = [
    "城乡居民",
    "城镇职工",
    "灵活就业人员",
    "退役军人",
    "高龄老人",
    "残疾人",
    "失业人员",
    "农村居民",
    "个体工商户",
    "企业",
    "困难群众",
    "优抚对象",
    "新生儿",
    "学生",
    "外来务工人员",
    "离退休人员",
    "低保家庭",
    "特困人员",
    "独生子女家庭",
    "住房公积金缴存职工",
]
MATTERS = [
    "基本养老保险",
    "基本医疗保险",
    "失业保险",
    "工伤保险",
    "生育保险",
    "住房公积金",
    "最低生活保障",
    "临时救助",
    "高龄补贴",
    "残疾人两项补贴",
    "组织关系",
    "户口",
    "居住证",
    "身份证",
    "社会保障卡",
    "医保关系",
    "养老保险关系",
    "公租房",
    "廉租住房补贴",
    "就业登记",
    "创业担保贷款",
    "技能培训补贴",
    "营业执照",
    "食品经营许可",
    "农村宅基地",
    "不动产登记",
    "优待证",
    "抚恤金",
    "教育资助",
    "计划生育奖励扶助",
]
ACTS = [
    "待遇申领",
    "参保登记",
    "转移接续",
    "变更登记",
    "注销登记",
    "补办",
    "换领",
    "资格认定",
    "申请",
    "提取",
    "查询打印",
    "信息变更",
    "暂停发放",
    "恢复发放",
    "年度审核",
    "备案",
]
#: what a citizen types, beyond the item names themselves
EXTRA_SEARCHES = [
    "gjj",
    "gongjijin",
    "公积金",
    "ylbx",
    "养老",
    "yanglao",
    "退役",
    "tyjr",
    "高龄",
    "gaoling",
    "dibao",
    "低保",
    "sfz",
    "身份证",
    "hukou",
    "户口",
    "yb",
    "医保",
    "zzz",
    "没有这个事项",
]


def catalogue(n: int = 5000, seed: int = 14) -> Catalogue:
    rng = random.Random(seed)
    names: set[str] = set()
    items: list[Item] = []
    while len(items) < n:
        name = rng.choice(OBJECTS) + rng.choice(MATTERS) + rng.choice(ACTS)
        if name in names:
            name += f"（{len(items) % 97 + 1}类）"
        if name in names:
            continue
        names.add(name)
        items.append(_item(len(items), name, rng))
    return Catalogue(
        version=1,
        published_at=datetime.now(UTC),
        sample=True,
        departments=[Department(code=c, name=n) for c, n in DEPARTMENTS],
        themes=[Theme(code=c, name=n) for c, n in THEMES],
        items=items,
    )


def _item(i: int, name: str, rng: random.Random) -> Item:
    dept = rng.choice(DEPARTMENTS)[0]
    questions = []
    if rng.random() < 0.3:
        questions = [
            Question(
                code="agent",
                text="是否委托他人代办？",
                options=[
                    Option(code="self", label="本人办理"),
                    Option(code="agent", label="委托代办"),
                ],
            )
        ]
    materials = [Material(code="idcard", name="居民身份证", form="original")]
    if questions:
        materials.append(
            Material(code="proxy", name="授权委托书", when=[{"agent": "agent"}], form="original")
        )
    return Item(
        code=f"B{i:05d}",
        name=name,
        department=dept,
        object=rng.choice(["person", "person", "legal_person", "both"]),
        themes=rng.sample([c for c, _ in THEMES], 2),
        time_limit_days=rng.choice([0, 1, 3, 5, 10, 15, 20]),
        keywords=rng.sample(EXTRA_SEARCHES[:18], 2),
        materials=materials,
        questions=questions,
    )


def searches(cat: Catalogue, n: int, seed: int = 15) -> list[str]:
    """``n`` searches: parts of real names (2-6 characters), extra words, pinyin, initials."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        roll = rng.random()
        if roll < 0.5:
            name = rng.choice(cat.items).name
            start = rng.randrange(0, max(1, len(name) - 2))
            out.append(name[start : start + rng.randint(2, 6)])
        else:
            out.append(rng.choice(EXTRA_SEARCHES))
    return out
