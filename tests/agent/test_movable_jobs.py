"""Movable (site) jobs on the agent: run only once the broker took the ``accepted`` ack before
the delivery deadline; otherwise never run here, so the cloud can give the job to another
device without it ever printing twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from edge_agent.drivers.base import PrintReport
from edge_agent.jobs.journal import Journal
from edge_agent.jobs.runner import JobRunner
from protocols.envelope import MsgType, Sender, wall_ms
from protocols.escpos import PrinterStatus
from protocols.jobs import AckState, JobKind, ReceiptParams
from protocols.messages import AckBody, Health, make_job_run

CLOUD = Sender("cloud")
LINES: dict[str, Any] = {"lines": [{"type": "text", "text": "A001"}]}


class CountingPrinter:
    """A receipt printer that only counts what it printed."""

    id, kind, model, capabilities = "receipt", "receipt_printer", "counter", ("receipt",)

    def __init__(self) -> None:
        self.printed: list[ReceiptParams] = []
        self.done = asyncio.Event()

    async def probe(self) -> PrinterStatus:
        return PrinterStatus.OK

    async def health(self) -> tuple[Health, str]:
        return Health.OK, ""

    async def close(self) -> None:
        pass

    async def print_receipt(
        self, params: ReceiptParams, on_start: Callable[[], Awaitable[None]]
    ) -> PrintReport:
        await on_start()
        self.printed.append(params)
        self.done.set()
        return PrintReport(1, PrinterStatus.OK, PrinterStatus.OK)


class Uplink:
    """Acks as the link would take them; ``deliver`` plays the broker's PUBACK."""

    def __init__(self) -> None:
        self.acks: asyncio.Queue[AckBody] = asyncio.Queue()
        self.pending: list[asyncio.Future[None]] = []

    async def send(self, ack: AckBody, corr: str | None) -> None:
        self.acks.put_nowait(ack)

    async def send_tracked(self, ack: AckBody, corr: str | None) -> asyncio.Future[None]:
        self.acks.put_nowait(ack)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append(future)
        return future

    def deliver_all(self) -> None:
        for future in self.pending:
            future.set_result(None)

    async def next(self) -> AckBody:
        async with asyncio.timeout(10):
            return await self.acks.get()


def _runner(tmp_path: Path, printer: CountingPrinter, up: Uplink) -> JobRunner:
    return JobRunner(
        Journal(tmp_path / "jobs.sqlite3"),
        {printer.id: printer},
        up,
    )


def _movable(job_id: str, deliver_within_ms: int) -> Any:
    run = make_job_run(
        job_id=job_id,
        kind=JobKind.PRINT_RECEIPT,
        params=LINES,
        movable=True,
        run_by=wall_ms() + 600_000,
    )
    return CLOUD.envelope(MsgType.CMD, run, ttl_ms=deliver_within_ms)


async def test_a_confirmed_movable_job_prints_once(tmp_path: Path) -> None:
    printer, up = CountingPrinter(), Uplink()
    runner = _runner(tmp_path, printer, up)
    async with asyncio.TaskGroup() as tg:
        workers = tg.create_task(runner.run_workers())
        await runner.handle(_movable("j1", 10_000))
        assert (await up.next()).state is AckState.ACCEPTED
        await asyncio.sleep(0)  # let a worker take the job, were it (wrongly) queued already
        assert printer.printed == []  # not before the broker took the accepted ack
        up.deliver_all()
        assert (await up.next()).state is AckState.RUNNING
        assert (await up.next()).state is AckState.SUCCEEDED
        workers.cancel()
    assert len(printer.printed) == 1
    rec = runner.journal.get("j1")
    assert rec is not None and rec.confirm_by is None and rec.exp is not None
    assert rec.exp > wall_ms() + 500_000  # the job's own deadline, not the delivery deadline
    runner.journal.close()


async def test_an_unconfirmed_movable_job_never_prints_here(tmp_path: Path) -> None:
    printer, up = CountingPrinter(), Uplink()
    runner = _runner(tmp_path, printer, up)
    async with asyncio.TaskGroup() as tg:
        workers = tg.create_task(runner.run_workers())
        await runner.handle(_movable("j2", 200))  # the broker never answers in time
        assert (await up.next()).state is AckState.ACCEPTED
        failed = await up.next()
        up.deliver_all()  # a PUBACK after the deadline changes nothing
        workers.cancel()
    assert failed.state is AckState.FAILED and failed.reason == "connection_lost"
    assert "may run it elsewhere" in failed.message
    assert printer.printed == []
    assert runner.counters["jobs_unconfirmed"] == 1
    runner.journal.close()


async def test_a_restart_before_confirmation_does_not_run_the_job(tmp_path: Path) -> None:
    printer, up = CountingPrinter(), Uplink()
    runner = _runner(tmp_path, printer, up)
    await runner.handle(_movable("j3", 60_000))
    assert (await up.next()).state is AckState.ACCEPTED
    await runner.quiesce(0.1)  # the agent stops (or dies) before the PUBACK
    runner.journal.close()

    again = _runner(tmp_path, printer, up)
    await again.recover()
    failed = await up.next()
    assert failed.state is AckState.FAILED and failed.reason == "connection_lost"
    assert printer.printed == []
    again.journal.close()


async def test_a_movable_job_arriving_after_its_delivery_deadline(tmp_path: Path) -> None:
    """Late for its delivery deadline but within its own TTL: not run, and answered with the
    retryable ``connection_lost`` (an ``expired`` would end the job at the cloud unprinted);
    past its TTL as well, it is ``expired``."""
    printer, up = CountingPrinter(), Uplink()
    runner = _runner(tmp_path, printer, up)
    await runner.handle(_movable("j4", -1))  # exp already passed when it arrives
    late = await up.next()
    gone = make_job_run(
        job_id="j5", kind=JobKind.PRINT_RECEIPT, params=LINES, movable=True, run_by=wall_ms() - 1
    )
    await runner.handle(CLOUD.envelope(MsgType.CMD, gone, ttl_ms=-1))
    expired = await up.next()
    assert (late.state, late.reason) == (AckState.FAILED, "connection_lost")
    assert "after its delivery deadline" in late.message
    assert (expired.state, expired.reason) == (AckState.FAILED, "expired")
    assert printer.printed == []
    runner.journal.close()
