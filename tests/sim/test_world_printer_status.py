"""A world's printer simulator answers status requests from the world's one event loop (cloud,
agents, simulators); on a loaded machine that loop can be busy past the ESC/POS driver's 1 s
default. The world's agents wait long enough that a late answer still counts: a printer that is
only out of paper never reads as silent ("unknown" in the paper charts: CI's demo charts test)."""

from __future__ import annotations

from pathlib import Path

from edge_agent.drivers.escpos_config import EscposNetwork
from edge_agent.drivers.receipt_escpos import EscPosReceiptPrinter
from kfleet.world.world import KioskSpec, agent_config
from protocols.escpos import PrinterStatus
from simulators.escpos_printer import EscPosPrinterSim, Faults

#: with this seed the simulator's first status answer comes after 1.69 s, the second 1.52 s
LATE_SEED = 0
LATE_S = 2.0


async def test_a_late_status_answer_of_the_worlds_printer_still_counts(tmp_path: Path) -> None:
    faults = Faults(paper_out=True, reply_delay=LATE_S, seed=LATE_SEED)
    async with EscPosPrinterSim("127.0.0.1", 0, tmp_path / "receipts", faults) as sim:
        spec = KioskSpec("late-kiosk-1", "qh/hx/golmud/hhl", "迟答打印机 1号自助终端")
        config = agent_config(spec, "mqtt://127.0.0.1:1883", tmp_path, sim.port)
        [printer_cfg] = [p for p in config.peripherals if isinstance(p, EscposNetwork)]
        printer = EscPosReceiptPrinter(printer_cfg)
        assert await printer.probe() is PrinterStatus.PAPER_OUT
