"""Reading ratings: a filtered list, and the report grouped by window, staff, site or service
over a period and a site subtree (counts per level, satisfaction rate, 差评 count)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.hall import HallRating
from cloud.db.models import Site
from cloud.hall.ratings_tables import HallFollowUp
from fleet import ratings as rules

GROUPS = {
    "window": HallRating.window_no,
    "staff": HallRating.staff_no,
    "service": HallRating.service_code,
}


@dataclass(frozen=True)
class Filter:
    scope: str  # a site path: the subtree
    start: datetime | None = None
    end: datetime | None = None
    window: str | None = None
    staff: str | None = None
    level: int | None = None
    source: str | None = None
    outcome: str | None = None


def _subtree(scope: str) -> ColumnElement[bool]:
    return (Site.path == scope) | Site.path.startswith(scope + "/", autoescape=True)


def _conditions(f: Filter) -> list[ColumnElement[bool]]:
    """The filter as WHERE conditions (the statement joins ``Site`` on the rating's site)."""
    out: list[ColumnElement[bool]] = [_subtree(f.scope)]
    for column, value in (
        (HallRating.window_no, f.window),
        (HallRating.staff_no, f.staff),
        (HallRating.level, f.level),
        (HallRating.source, f.source),
        (HallRating.outcome, f.outcome),
    ):
        if value is not None:
            out.append(column == value)
    if f.start is not None:
        out.append(HallRating.rated_at >= f.start)
    if f.end is not None:
        out.append(HallRating.rated_at < f.end)
    return out


async def page(
    s: AsyncSession, f: Filter, limit: int, cursor: int | None
) -> list[tuple[HallRating, str, int | None]]:
    """Newest first: (rating, site path, follow-up id)."""
    where = _conditions(f)
    if cursor is not None:
        where.append(HallRating.id < cursor)
    stmt = (
        select(HallRating, Site.path, HallFollowUp.id)
        .join(Site, Site.id == HallRating.site_id)
        .outerjoin(HallFollowUp, HallFollowUp.rating_id == HallRating.id)
        .where(*where)
    )
    rows = await s.execute(stmt.order_by(HallRating.id.desc()).limit(limit))
    return [(row[0], row[1], row[2]) for row in rows.all()]


def _empty() -> dict[str, Any]:
    return {"counts": {str(c): 0 for c in rules.LEVELS}, "timed_out": 0, "abandoned": 0}


def finish(key: str, site: str, acc: dict[str, Any]) -> dict[str, Any]:
    counts = {int(k): v for k, v in acc["counts"].items()}
    rated = sum(counts.values())
    return {
        "key": key,
        "site": site,
        "counts": acc["counts"],
        "rated": rated,
        "timed_out": acc["timed_out"],
        "abandoned": acc["abandoned"],
        "bad": sum(counts[c] for c in rules.BAD_LEVELS),
        "satisfaction": rules.satisfaction(counts),
    }


async def report(
    s: AsyncSession, f: Filter, by: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per group (sorted by site then key) and the total."""
    key = Site.path if by == "site" else GROUPS[by]
    stmt = (
        select(Site.path, key, HallRating.outcome, HallRating.level, func.count())
        .join(Site, Site.id == HallRating.site_id)
        .where(*_conditions(f))
        .group_by(Site.path, key, HallRating.outcome, HallRating.level)
    )
    groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(_empty)
    total = _empty()
    for row in (await s.execute(stmt)).all():
        path, k, outcome, level, n = row[0], row[1], row[2], row[3], row[4]
        for acc in (groups[(path, k or "")], total):
            if outcome == "rated" and level is not None:
                acc["counts"][str(level)] += n
            elif outcome in ("timed_out", "abandoned"):
                acc[outcome] += n
    rows = [finish(k, path, acc) for (path, k), acc in sorted(groups.items())]
    return rows, finish("total", f.scope, total)


def to_csv(by: str, rows: list[dict[str, Any]], total: dict[str, Any]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    levels = [f"{rules.level(c).name_zh}({c})" for c in rules.LEVELS]
    w.writerow(["site", by, *levels, "rated", "timed_out", "abandoned", "差评", "satisfaction"])
    for row in [*rows, total]:
        rate = row["satisfaction"]
        w.writerow(
            [
                row["site"],
                row["key"],
                *(row["counts"][str(c)] for c in rules.LEVELS),
                row["rated"],
                row["timed_out"],
                row["abandoned"],
                row["bad"],
                "" if rate is None else f"{rate:.4f}",
            ]
        )
    return out.getvalue()
