"""Content versions and floor-plan checks (fleet.content, no I/O)."""

from __future__ import annotations

import pytest

from fleet.content import AreaSpot, VersionError, WindowSpot, check_plan, next_version
from fleet.content import rollback_version as rollback


def test_the_first_publication_is_version_1_and_each_next_adds_one() -> None:
    assert next_version(None) == 1
    assert next_version(7) == 8
    assert next_version(7, 8) == 8


@pytest.mark.parametrize("requested", [1, 6, 7])
def test_a_version_not_newer_than_the_current_is_refused(requested: int) -> None:
    with pytest.raises(
        VersionError, match=r"not newer than the current version 7.*publish version 8"
    ):
        next_version(7, requested)


def test_a_version_that_skips_ahead_is_refused() -> None:
    with pytest.raises(VersionError, match=r"skips ahead.*next one is 8"):
        next_version(7, 9)


def test_rollback_publishes_a_new_version() -> None:
    assert rollback(5, 2, [5, 4, 3, 2, 1]) == 6


def test_rollback_to_the_current_or_an_unknown_version_is_refused() -> None:
    with pytest.raises(VersionError, match="already the current one"):
        rollback(5, 5, [5, 4])
    with pytest.raises(VersionError, match="no published version 9"):
        rollback(5, 9, [5, 4])
    with pytest.raises(VersionError, match="nothing is published"):
        rollback(None, 1, [])


def test_a_good_plan_has_no_problems() -> None:
    spots = [WindowSpot("1", 0.0, 1.0), WindowSpot("2", 0.5, 0.5)]
    areas = [AreaSpot("等候区", 0.1, 0.1, 0.9, 0.2)]
    assert check_plan(spots, areas, ["1", "2", "3"], [("scr1", 0.2, 0.8)]) == []


def test_positions_outside_the_plan_name_the_field_and_the_fix() -> None:
    problems = check_plan([WindowSpot("1", 1.2, -0.1)], [], ["1"], [("s", 0.5, 2.0)])
    assert [p.field for p in problems] == ["windows.0.x", "windows.0.y", "markers.0.y"]
    assert "1.2 is outside the plan" in problems[0].message
    assert "drag it back onto the plan" in problems[0].message


def test_an_unknown_window_and_a_duplicate_are_named() -> None:
    problems = check_plan(
        [WindowSpot("1", 0.1, 0.1), WindowSpot("9", 0.2, 0.2), WindowSpot("1", 0.3, 0.3)],
        [],
        ["1", "2"],
    )
    messages = {p.field: p.message for p in problems}
    assert (
        "window 9 does not exist at this site (its windows: 1, 2)" in messages["windows.1.number"]
    )
    assert "window 1 is placed twice" in messages["windows.2.number"]


def test_an_area_running_off_the_plan_or_without_size_is_refused() -> None:
    problems = check_plan([], [AreaSpot("自助区", 0.8, 0.1, 0.3, 0.0)], [])
    fields = [p.field for p in problems]
    assert "areas.0" in fields and "areas.0.w" in fields
