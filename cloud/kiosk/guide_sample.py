"""The pilots' sample catalogue (``sample: True``, marked as such on every screen): 30-odd
items a town or village hall in Golmud handles, written the way the provincial 办事指南 are
(事项精细化梳理), with situations, 二级材料 and review points.

It is what ``kfleet demo`` publishes and what the kiosk shows until a county loads its own
catalogue; the texts follow the national rules but are NOT an official guide.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from cloud.kiosk import (
    guide_sample_family,
    guide_sample_household,
    guide_sample_rural,
    guide_sample_social,
    guide_sample_veterans,
    guide_sample_welfare,
)
from protocols.guide import Catalogue, Department, Item, Theme

DEPARTMENTS = [
    Department(code="veterans", name="退役军人事务局", name_en="Veterans Affairs Bureau"),
    Department(code="police", name="公安局户政", name_en="Public Security (household register)"),
    Department(
        code="hrss", name="人力资源和社会保障局", name_en="Human Resources and Social Security"
    ),
    Department(code="medical", name="医疗保障局", name_en="Healthcare Security Bureau"),
    Department(code="civil", name="民政局", name_en="Civil Affairs Bureau"),
    Department(code="disabled", name="残疾人联合会", name_en="Disabled Persons' Federation"),
    Department(code="health", name="卫生健康委员会", name_en="Health Commission"),
    Department(code="agri", name="农业农村局", name_en="Agriculture and Rural Affairs Bureau"),
    Department(code="realestate", name="不动产登记中心", name_en="Real Estate Registration Centre"),
]
THEMES = [
    Theme(code="household", name="户籍办理", name_en="Household registration"),
    Theme(code="certificates", name="证件证明", name_en="Cards and certificates"),
    Theme(code="social_insurance", name="社会保险", name_en="Social insurance"),
    Theme(code="medical_insurance", name="医疗保险", name_en="Medical insurance"),
    Theme(code="employment", name="就业创业", name_en="Employment"),
    Theme(code="assistance", name="社会救助", name_en="Social assistance"),
    Theme(code="elderly", name="养老服务", name_en="Older people"),
    Theme(code="disability", name="残疾人服务", name_en="Disability"),
    Theme(code="birth", name="生育收养", name_en="Birth and family"),
    Theme(code="veterans", name="退役军人", name_en="Veterans"),
    Theme(code="housing", name="住房建房", name_en="Housing"),
    Theme(code="rural", name="农业农村", name_en="Farming and villages"),
]
#: the item builders, by department module
BUILDERS: list[Callable[[], Item]] = [
    *guide_sample_veterans.ITEMS,
    *guide_sample_household.ITEMS,
    *guide_sample_social.ITEMS,
    *guide_sample_welfare.ITEMS,
    *guide_sample_family.ITEMS,
    *guide_sample_rural.ITEMS,
]
#: a fixed date: the sample is the same document wherever it is built
PUBLISHED_AT = datetime(2026, 12, 1, tzinfo=UTC)


def sample_items() -> list[Item]:
    return [build() for build in BUILDERS]


def sample_catalogue(version: int = 1) -> Catalogue:
    """The sample as a published catalogue (``sample: True``)."""
    return Catalogue(
        version=version,
        published_at=PUBLISHED_AT,
        sample=True,
        departments=DEPARTMENTS,
        themes=THEMES,
        items=sample_items(),
    )
