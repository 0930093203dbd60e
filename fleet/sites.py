"""The five-level site tree: province → prefecture → city → town/street → village/community."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from fleet.errors import SiteTreeError
from protocols.topics import SITE_SEGMENT_RE


class SiteLevel(IntEnum):
    """Administrative level; a child is always deeper than its parent (levels may be skipped)."""

    PROVINCE = 1
    PREFECTURE = 2
    CITY = 3
    TOWN = 4  # town or street (乡镇/街道)
    VILLAGE = 5  # village or community (村/社区)

    @property
    def label(self) -> str:
        return self.name.lower()


LEVEL_NAMES_ZH = {
    SiteLevel.PROVINCE: "省",
    SiteLevel.PREFECTURE: "州/市",
    SiteLevel.CITY: "县/市",
    SiteLevel.TOWN: "乡镇/街道",
    SiteLevel.VILLAGE: "村/社区",
}


def check_child(parent_level: SiteLevel | None, child_level: SiteLevel) -> None:
    """Raise :class:`SiteTreeError` unless ``child_level`` may sit under ``parent_level``."""
    if parent_level is None:
        return
    if child_level <= parent_level:
        raise SiteTreeError(
            f"a {child_level.label} cannot sit under a {parent_level.label}: "
            "each level must be deeper than its parent"
        )


def child_path(parent_path: str | None, code: str) -> str:
    """The slash path of a child site; codes are short ASCII slugs used in MQTT topics."""
    if not SITE_SEGMENT_RE.match(code):
        raise SiteTreeError(
            f"site code {code!r} is invalid: use 1-32 characters of a-z, 0-9, '_', '-'"
        )
    path = f"{parent_path}/{code}" if parent_path else code
    if path.count("/") >= 5:
        raise SiteTreeError(f"site path {path!r} is deeper than the five levels")
    return path


@dataclass(frozen=True)
class SiteSpec:
    """A site to create, with its children (used for the pilot tree and imports)."""

    code: str
    name: str
    level: SiteLevel
    children: tuple[SiteSpec, ...] = field(default=())


def golmud(*sites: SiteSpec) -> SiteSpec:
    """青海省 → 海西州 → 格尔木市 with ``sites`` under the city: the pilot's chain, for the pilot
    tree itself and for tests and demos that need sites of their own."""
    return SiteSpec(
        "qh",
        "青海省",
        SiteLevel.PROVINCE,
        (
            SiteSpec(
                "hx",
                "海西蒙古族藏族自治州",
                SiteLevel.PREFECTURE,
                (SiteSpec("golmud", "格尔木市", SiteLevel.CITY, sites),),
            ),
        ),
    )


#: The Golmud pilot. 八一社区便民服务点 hangs directly under the city until the county
#: confirms its street; the tree allows skipped levels for exactly this.
PILOT_TREE = golmud(
    SiteSpec("hhl", "黄河路街道办事处", SiteLevel.TOWN),
    SiteSpec("tgls", "唐古拉山镇便民服务中心", SiteLevel.TOWN),
    SiteSpec("bayi", "八一社区便民服务点", SiteLevel.VILLAGE),
)
