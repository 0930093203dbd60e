"""The three pilot halls' queues, services, windows and staff, for ``kfleet demo``, the hall
benchmark and tests that need a realistic hall. Idempotent: what exists is left alone.

The names are the pilots' real kinds of business; the staff are invented (工号 ``H0301`` =
黄河路, window 3, first person)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import sites as site_repo
from cloud.db.hall import HallQueue, HallService, HallStaff, HallWindow


@dataclass(frozen=True)
class QueueSpec:
    code: str
    prefix: str
    name_zh: str
    name_en: str
    #: (code, name_zh, name_en) of the services queued here
    services: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class WindowSpec:
    number: str
    name_zh: str
    name_en: str
    queues: tuple[str, ...]
    #: (staff_no, name, title)
    staff: tuple[tuple[str, str, str], ...] = ()
    call_device: str = ""
    rating_device: str = ""
    rating_peripheral: str = ""
    screen_device: str = ""


@dataclass(frozen=True)
class HallSpec:
    site: str
    queues: tuple[QueueSpec, ...]
    windows: tuple[WindowSpec, ...] = field(default=())


GENERAL = QueueSpec(
    "general",
    "A",
    "综合受理",
    "General services",
    (
        ("residence", "户籍业务", "Household registration"),
        ("civil", "民政事务", "Civil affairs"),
        ("certificate", "证明开具", "Certificates"),
    ),
)
SOCIAL = QueueSpec(
    "social",
    "B",
    "社保医保",
    "Social and medical insurance",
    (
        ("pension", "养老保险", "Pension insurance"),
        ("medical", "医疗保险", "Medical insurance"),
    ),
)
ESTATE = QueueSpec(
    "estate",
    "C",
    "不动产登记",
    "Real estate registration",
    (("estate", "不动产登记", "Real estate registration"),),
)
PRIORITY = QueueSpec(
    "priority",
    "V",
    "绿色通道",
    "Priority (elderly, disabled)",
    (("priority", "绿色通道办理", "Priority service"),),
)

PILOT_HALLS: tuple[HallSpec, ...] = (
    HallSpec(
        "qh/hx/golmud/hhl",
        (GENERAL, SOCIAL, ESTATE, PRIORITY),
        (
            WindowSpec(
                "1",
                "综合受理窗口",
                "General",
                ("priority", "general"),
                (("H0101", "马丽", "综合窗口受理员"),),
                call_device="hhl-window-01",
                rating_device="hhl-window-01",
                rating_peripheral="rating",
                screen_device="hhl-window-01",
            ),
            WindowSpec("2", "综合受理窗口", "General", ("general",), (("H0201", "韩雪", ""),)),
            WindowSpec(
                "3",
                "社保医保窗口",
                "Social insurance",
                ("social", "general"),
                (("H0301", "才让东周", ""),),
            ),
            WindowSpec(
                "4", "社保医保窗口", "Social insurance", ("social",), (("H0401", "李海燕", ""),)
            ),
            WindowSpec(
                "5", "不动产登记窗口", "Real estate", ("estate",), (("H0501", "王建国", ""),)
            ),
            WindowSpec(
                "6",
                "绿色通道",
                "Priority",
                ("priority", "social", "general"),
                (("H0601", "张桂兰", "党员先锋岗"),),
            ),
        ),
    ),
    HallSpec(
        "qh/hx/golmud/tgls",
        (GENERAL, SOCIAL),
        (
            WindowSpec("1", "综合窗口", "General", ("general", "social"), (("T0101", "扎西", ""),)),
            WindowSpec(
                "2", "社保窗口", "Social insurance", ("social", "general"), (("T0201", "卓玛", ""),)
            ),
        ),
    ),
    HallSpec(
        "qh/hx/golmud/bayi",
        (GENERAL,),
        (
            WindowSpec(
                "1",
                "便民服务窗口",
                "Community services",
                ("general",),
                (("B0101", "刘芳", "社区网格员"),),
            ),
        ),
    ),
)


async def seed_halls(
    session: AsyncSession, halls: tuple[HallSpec, ...] = PILOT_HALLS, *, skip_missing: bool = False
) -> int:
    """Create what is missing of ``halls``; returns rows created. A hall whose site does not
    exist is an error, or skipped with ``skip_missing`` (a demo on a tree of its own)."""
    created = 0
    for hall in halls:
        site = await site_repo.get_by_path(session, hall.site)
        if site is None and skip_missing:
            continue
        if site is None:
            raise LookupError(f"site {hall.site} does not exist: seed the site tree first")
        created += await _queues(session, site.id, hall.queues)
        created += await _windows(session, site.id, hall.windows)
    await session.flush()
    return created


async def seed_halls_in(sessions: async_sessionmaker[AsyncSession]) -> int:
    """:func:`seed_halls` of the pilot halls whose sites exist, in a transaction of its own."""
    async with sessions() as s:
        created = await seed_halls(s, skip_missing=True)
        await s.commit()
    return created


async def _queues(session: AsyncSession, site_id: int, queues: tuple[QueueSpec, ...]) -> int:
    created = 0
    for spec in queues:
        queue = await session.scalar(
            select(HallQueue).where(HallQueue.site_id == site_id, HallQueue.code == spec.code)
        )
        if queue is None:
            queue = HallQueue(
                site_id=site_id,
                code=spec.code,
                name_zh=spec.name_zh,
                name_en=spec.name_en,
                prefix=spec.prefix,
                active=True,
            )
            session.add(queue)
            await session.flush()
            created += 1
        for code, zh, en in spec.services:
            exists = await session.scalar(
                select(HallService.id).where(
                    HallService.site_id == site_id, HallService.code == code
                )
            )
            if exists is None:
                session.add(
                    HallService(
                        site_id=site_id, code=code, name_zh=zh, name_en=en, queue_id=queue.id
                    )
                )
                created += 1
    return created


async def _windows(session: AsyncSession, site_id: int, windows: tuple[WindowSpec, ...]) -> int:
    created = 0
    for spec in windows:
        for staff_no, name, title in spec.staff:
            exists = await session.scalar(
                select(HallStaff.id).where(
                    HallStaff.site_id == site_id, HallStaff.staff_no == staff_no
                )
            )
            if exists is None:
                session.add(HallStaff(site_id=site_id, staff_no=staff_no, name=name, title=title))
                created += 1
        exists = await session.scalar(
            select(HallWindow.id).where(
                HallWindow.site_id == site_id, HallWindow.number == spec.number
            )
        )
        if exists is None:
            session.add(
                HallWindow(
                    site_id=site_id,
                    number=spec.number,
                    name_zh=spec.name_zh,
                    name_en=spec.name_en,
                    queue_codes=list(spec.queues),
                    status="closed",
                    roster=[s[0] for s in spec.staff],
                    call_device=spec.call_device,
                    call_button=1,
                    rating_device=spec.rating_device,
                    rating_peripheral=spec.rating_peripheral,
                    screen_device=spec.screen_device,
                )
            )
            created += 1
    return created
