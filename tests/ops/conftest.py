"""Fixtures of the 7x24 tests: each rolling-upgrade test owns its Mosquitto, printer
simulators and a fresh PostgreSQL database (two cloud processes share it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.databases import fresh_postgres
from tests.faults.procs import Mosquitto


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Mosquitto]:
    with Mosquitto(tmp_path / "mosquitto") as b:
        await b.start()
        yield b


@pytest.fixture
async def printers(tmp_path: Path) -> AsyncIterator[list[EscPosPrinterSim]]:
    async with (
        EscPosPrinterSim(out_dir=tmp_path / "receipts-1") as one,
        EscPosPrinterSim(out_dir=tmp_path / "receipts-2") as two,
    ):
        yield [one, two]


@pytest.fixture
def shared_db(postgres_url: str, uid: str) -> Iterator[str]:
    """A fresh PostgreSQL database for both cloud instances (dropped afterwards)."""
    with fresh_postgres(postgres_url, f"kf_ops_{uid}") as url:
        yield url
