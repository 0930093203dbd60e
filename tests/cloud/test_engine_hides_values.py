"""A failed statement's error and log lines name the statement, never its values: they may be
personal data a guard missed (docs/privacy.md)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from cloud.db.session import make_engine

RAW_ID = "11010519491231002X"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_values_stay_out_of_errors_and_logs(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    engine = make_engine(url)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    engine.echo = True  # an operator debugging SQL logs every statement
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as err:
                await conn.execute(text("SELECT * FROM no_such_table WHERE v = :v"), {"v": RAW_ID})
    finally:
        await engine.dispose()
    assert "no_such_table" in str(err.value)
    assert RAW_ID not in str(err.value)
    assert "no_such_table" in caplog.text
    assert RAW_ID not in caplog.text
