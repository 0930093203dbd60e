"""A small realistic service-guide catalogue for the kiosk's guide tests, and the content
body that announces it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from protocols.guide import (
    Catalogue,
    CatalogueBody,
    CatalogueRef,
    Department,
    Form,
    Item,
    Material,
    Option,
    Question,
    ReviewPoint,
    SubMaterial,
    Theme,
)

SITE_A = "qh/hx/golmud/hhl"  # the pilot site 黄河路 (its kiosk hhl-kiosk-01 in the demo)
#: a fixed time: the same version always serialises to the same blob (the same sha256)
PUBLISHED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

DEPARTMENTS = [
    Department(code="gjj", name="住房公积金管理中心", name_en="Housing Provident Fund Centre"),
    Department(code="tyjr", name="退役军人事务局", name_en="Veterans Affairs Bureau"),
    Department(code="mz", name="民政局", name_en="Civil Affairs Bureau"),
    Department(code="ga", name="公安局", name_en="Public Security Bureau"),
]
THEMES = [
    Theme(code="zf", name="住房", name_en="Housing"),
    Theme(code="yl", name="养老", name_en="Elderly care"),
    Theme(code="hj", name="户籍", name_en="Household registration"),
]


def _yes_no(code: str, text: str, text_en: str, **kw: object) -> Question:
    return Question(
        code=code,
        text=text,
        text_en=text_en,
        options=[
            Option(code="yes", label="是", label_en="Yes"),
            Option(code="no", label="否", label_en="No"),
        ],
        **kw,  # type: ignore[arg-type]
    )


def fund_withdrawal() -> Item:
    """住房公积金提取: buying a home asks for the contract, renting for the lease."""
    reason = Question(
        code="reason",
        text="提取原因",
        text_en="Reason for withdrawal",
        options=[
            Option(code="buy", label="购买自住住房", label_en="Buying a home"),
            Option(code="rent", label="租房", label_en="Renting"),
        ],
    )
    loan = _yes_no("loan", "是否使用贷款", "With a loan?", when=[{"reason": "buy"}])
    return Item(
        code="GJJ-001",
        name="住房公积金提取",
        name_en="Housing provident fund withdrawal",
        department="gjj",
        themes=["zf"],
        time_limit_days=3,
        legal_limit_days=5,
        phone="0971-12329",
        place="一楼 公积金窗口",
        windows={SITE_A: ["7", "8"]},
        conditions=["缴存职工购买、建造、翻建、大修自住住房的"],
        materials=[
            Material(code="id", name="居民身份证", form="original"),
            Material(
                code="contract",
                name="购房合同",
                form="original_and_copy",
                when=[{"reason": "buy"}],
                sub=[SubMaterial(name="商品房买卖合同", note="已网签备案")],
            ),
            Material(code="loan_contract", name="借款合同", when=[{"loan": "yes"}]),
            Material(code="lease", name="房屋租赁合同", form="copy", when=[{"reason": "rent"}]),
        ],
        forms=[Form(code="apply", name="住房公积金提取申请表")],
        questions=[reason, loan],
        review_points=[ReviewPoint(text="核对购房合同备案号")],
        legal_basis=["《住房公积金管理条例》第二十四条"],
        service="gjj",
        keywords=["公积金", "提取"],
    )


def items() -> list[Item]:
    veteran = Item(
        code="TY-002",
        name="退役军人落户",
        name_en="Veteran household registration",
        department="tyjr",
        themes=["hj"],
        materials=[Material(code="id", name="退役证")],
        sites=[SITE_A],
        keywords=["落户"],
    )
    elder = Item(
        code="MZ-010",
        name="高龄补贴申领",
        name_en="Old-age allowance",
        department="mz",
        themes=["yl"],
        materials=[Material(code="id", name="居民身份证")],
        sites=["qh/other"],
        keywords=["高龄补贴", "老年"],
    )
    company = Item(
        code="GJJ-020",
        name="单位公积金缴存登记",
        name_en="Employer fund registration",
        department="gjj",
        object="legal_person",
        themes=["zf"],
    )
    hukou = Item(
        code="GA-003",
        name="户口迁移",
        name_en="Household transfer",
        department="ga",
        object="both",
        themes=["hj"],
        keywords=["迁户口"],
    )
    return [fund_withdrawal(), veteran, elder, company, hukou]


def catalogue(
    version: int = 1, *, sample: bool = True, extra: list[Item] | None = None
) -> Catalogue:
    return Catalogue(
        version=version,
        published_at=PUBLISHED,
        sample=sample,
        departments=DEPARTMENTS,
        themes=THEMES,
        items=[*items(), *(extra or [])],
    )


def body_for(site: str, data: bytes, version: int, *, items: int = 5) -> CatalogueBody:
    """The retained content announcing the catalogue blob ``data`` (as the cloud's publisher)."""
    ref = CatalogueRef(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    return CatalogueBody(
        site=site, version=version, published_at=datetime.now(UTC), blob=ref, items=items
    )
