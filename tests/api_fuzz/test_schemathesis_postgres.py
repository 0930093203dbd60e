"""The whole API fuzzed on PostgreSQL, with fewer examples per operation than on SQLite (see
``POSTGRES_MAX_EXAMPLES``). A file of its own so the two runs go to two pytest-xdist workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api_fuzz.test_schemathesis import (
    POSTGRES_MAX_EXAMPLES,
    RUN_TIMEOUT_S,
    fresh_postgres_url,
    fuzz_the_api,
)

pytestmark = [pytest.mark.mosquitto, pytest.mark.timeout(RUN_TIMEOUT_S + 60)]

__all__ = ["fresh_postgres_url"]  # the fixture, used here by name


async def test_schemathesis_finds_nothing_on_postgres(
    fresh_postgres_url: str, mosquitto_url: str, tmp_path: Path
) -> None:
    await fuzz_the_api(fresh_postgres_url, mosquitto_url, tmp_path, POSTGRES_MAX_EXAMPLES)
