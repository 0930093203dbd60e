"""Site content versions and floor-plan checks (issue 13), free of I/O.

Each (site, kind) has a line of published versions 1, 2, 3…: a publication is always the next
number, and a rollback to version k publishes a NEW version carrying k's body — screens only
ever move forwards (``protocols.hall.replaces``), so an older number can never win. A client
that names the version it means to publish (the editor sends "current + 1", the version it
started from plus one) is refused when someone published meanwhile, rather than silently
replacing their work.

A floor plan places windows by their centre and areas as rectangles, all as fractions of the
image's width and height; :func:`check_plan` says precisely what is wrong with one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "AreaSpot",
    "ContentError",
    "PlanProblem",
    "VersionError",
    "WindowSpot",
    "check_plan",
    "next_version",
    "rollback_version",
]


class ContentError(ValueError):
    """Content that cannot be published as asked; the message says what, why, what to do."""


class VersionError(ContentError):
    """A version number that would not move the screens forwards (stale or unknown)."""


@dataclass(frozen=True, slots=True)
class WindowSpot:
    number: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class AreaSpot:
    name: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """One thing wrong with a plan: ``field`` is a path into the body (``windows.2.x``)."""

    field: str
    message: str


def next_version(current: int | None, requested: int | None = None) -> int:
    """The version a publication gets: ``current + 1`` (1 for the first).

    ``requested`` (optional) is the number the client means to publish; anything else than
    the next one is refused — lower or equal means it worked on an old version (someone
    published since), higher would leave a gap that screens could take for a lost version.
    """
    upcoming = (current or 0) + 1
    if requested is None or requested == upcoming:
        return upcoming
    if requested <= (current or 0):
        raise VersionError(
            f"version {requested} is not newer than the current version {current}: an older "
            "version never replaces a newer one; reload the current content, redo your change "
            f"on it and publish version {upcoming}"
        )
    raise VersionError(
        f"version {requested} skips ahead: the current version is {current or 'none'}, so the "
        f"next one is {upcoming}; publish without a version or with {upcoming}"
    )


def rollback_version(current: int | None, target: int, known: Iterable[int]) -> int:
    """The new version a rollback to ``target`` publishes (it carries ``target``'s body)."""
    if current is None:
        raise VersionError("nothing is published yet, so there is nothing to roll back to")
    if target == current:
        raise VersionError(
            f"version {target} is already the current one: pick an older version to roll back to"
        )
    if target not in set(known):
        raise VersionError(
            f"there is no published version {target} (the current one is {current}); pick one "
            "of the versions the list shows"
        )
    return current + 1


def _fraction(field: str, value: float) -> PlanProblem | None:
    if 0.0 <= value <= 1.0:
        return None
    return PlanProblem(
        field,
        f"{value:g} is outside the plan: positions are fractions of the image's width and "
        "height, from 0 (left/top edge) to 1 (right/bottom edge); drag it back onto the plan",
    )


def _window_problems(spots: Sequence[WindowSpot], known: set[str]) -> list[PlanProblem]:
    found: list[PlanProblem] = []
    seen: set[str] = set()
    for i, spot in enumerate(spots):
        if spot.number in seen:
            found.append(
                PlanProblem(
                    f"windows.{i}.number",
                    f"window {spot.number} is placed twice; a window has one place on the "
                    "plan, remove the duplicate",
                )
            )
        seen.add(spot.number)
        if spot.number not in known:
            have = ", ".join(sorted(known)) or "none configured yet"
            found.append(
                PlanProblem(
                    f"windows.{i}.number",
                    f"window {spot.number} does not exist at this site (its windows: {have}); "
                    "configure the window first or remove it from the plan",
                )
            )
        for axis, value in (("x", spot.x), ("y", spot.y)):
            problem = _fraction(f"windows.{i}.{axis}", value)
            if problem:
                found.append(problem)
    return found


def _area_problems(areas: Sequence[AreaSpot]) -> list[PlanProblem]:
    found: list[PlanProblem] = []
    for i, a in enumerate(areas):
        for axis, value in (("x", a.x), ("y", a.y), ("w", a.w), ("h", a.h)):
            problem = _fraction(f"areas.{i}.{axis}", value)
            if problem:
                found.append(problem)
        if a.w <= 0 or a.h <= 0:
            found.append(
                PlanProblem(
                    f"areas.{i}",
                    f"area {a.name!r} has no size ({a.w:g} × {a.h:g}); draw it larger",
                )
            )
        for axis, start, size in (("x", a.x, a.w), ("y", a.y, a.h)):
            if 0 <= start <= 1 and 0 <= size <= 1 and start + size > 1.0 + 1e-9:
                found.append(
                    PlanProblem(
                        f"areas.{i}.{'w' if axis == 'x' else 'h'}",
                        f"area {a.name!r} runs off the plan ({axis} {start:g} + "
                        f"{size:g} > 1); shrink it or move it inside",
                    )
                )
    return found


def check_plan(
    windows: Sequence[WindowSpot],
    areas: Sequence[AreaSpot],
    site_windows: Iterable[str],
    markers: Sequence[tuple[str, float, float]] = (),
) -> list[PlanProblem]:
    """Everything wrong with a plan's windows, areas and "you are here" markers (empty: it
    may be published).

    Every placed window must exist at the site (``site_windows``) and be placed once; every
    position lies inside the plan, [0, 1] on both axes; an area has a size and stays inside.
    """
    found = _window_problems(windows, set(site_windows)) + _area_problems(areas)
    for i, (_device, x, y) in enumerate(markers):
        for axis, value in (("x", x), ("y", y)):
            problem = _fraction(f"markers.{i}.{axis}", value)
            if problem:
                found.append(problem)
    return found
