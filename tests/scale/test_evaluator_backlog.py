"""The cloud's alert evaluator asks the cloud's own bus whether it is behind
(``cloud.wiring.bus_behind``): a queue's worth of unhandled messages lets timed rounds pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud.app import create_app
from cloud.settings import Settings
from cloud.wiring import Parts


async def test_the_built_evaluator_defers_while_the_bus_holds_a_queues_worth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, demo=True, bus_queue_size=50)
    parts: Parts = create_app(settings).state.parts
    try:
        waiting = [49]
        monkeypatch.setattr(parts.bus, "queue_depth", lambda: waiting[0])
        assert not parts.alerts.defer()
        waiting[0] = 50
        assert parts.alerts.defer()
        assert parts.alerts.deferred == 1
    finally:
        await parts.engine.dispose()
