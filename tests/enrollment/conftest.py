"""Fixtures of the enrollment tests: the cloud database on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.databases import PARAMS, SQLITE, fresh_postgres


@pytest.fixture(params=PARAMS)
def database_url(request: pytest.FixtureRequest, uid: str) -> Iterator[str]:
    """``""`` (SQLite in the data dir) or a fresh PostgreSQL database, dropped afterwards."""
    if request.param == SQLITE:
        yield ""
        return
    server = str(request.getfixturevalue("postgres_url"))  # fails under KFLEET_REQUIRE_SERVERS
    with fresh_postgres(server, f"kf_enroll_{uid}") as url:
        yield url
