"""A VictoriaMetrics that is down, or that takes the connection and never answers, is a
StoreUnavailable saying which store, why and what to do; the points the caller kept land
whole once it is back."""

from __future__ import annotations

import asyncio
import socket

import pytest

from cloud.telemetry.model import Agg, SeriesQuery, StoreUnavailable
from protocols.telemetry import SysMetric
from tests.telemetry.tsdb_kit import MINUTE, past_minute, point, vm_store
from tests.vmkit import running_vm


async def test_down_then_back_loses_nothing_the_caller_kept(uid: str) -> None:
    t0 = past_minute()
    batch = [
        point(SysMetric.MEM_PCT, float(i), t0 + i * 1000, f"pc-{uid}", "qh") for i in range(50)
    ]
    q = SeriesQuery(SysMetric.MEM_PCT, t0, t0 + MINUTE, 60, agg=Agg.COUNT)
    with running_vm() as vm:
        async with vm_store(vm.url) as store:
            vm.stop()
            with pytest.raises(StoreUnavailable) as wrote:
                await store.write(batch)
            with pytest.raises(StoreUnavailable) as read:
                await store.query(q)
            vm.start()
            await store.write(batch)  # what a caller does with the points it kept
            vm.flush()
            got = await store.query(q)
    message = str(wrote.value)
    assert f"victoriametrics at {vm.http}" in message and "cannot connect" in message
    assert "KFLEET_TSDB_URL" in message and "keeps the points" in message
    assert "could not answer a query" in str(read.value)
    assert [s.points for s in got] == [[(t0, 50.0)]]


async def test_a_store_that_never_answers_times_out(uid: str) -> None:
    """A hung server costs one timeout, never a hung pipeline."""
    # A listening socket that never accepts: the kernel completes the handshake and holds the
    # request, nobody answers. No asyncio server, so no stream object can outlive the test.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        port = hung.getsockname()[1]
        url = f"victoriametrics+http://127.0.0.1:{port}?timeout=0.5"
        async with vm_store(url) as store:
            async with asyncio.timeout(10):
                with pytest.raises(StoreUnavailable, match=r"no answer within 0\.5 s.*timeout="):
                    await store.write([point(SysMetric.MEM_PCT, 1, past_minute(), uid, "qh")])


async def test_a_refusal_says_what_to_do(uid: str) -> None:
    """An HTTP error (here: an InfluxDB path VictoriaMetrics does not serve) is reported with
    its status and the server's words, not as a stack trace."""
    with running_vm() as vm:
        async with vm_store(f"victoriametrics+{vm.http}/nowhere") as store:
            with pytest.raises(StoreUnavailable, match=r"HTTP 4\d\d") as err:
                await store.write([point(SysMetric.MEM_PCT, 1, past_minute(), uid, "qh")])
    assert f"victoriametrics at {vm.http}/nowhere could not write points" in str(err.value)
