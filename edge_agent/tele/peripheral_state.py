"""Each peripheral's health, and a printer's paper, as numbers that chart and alert.

``peripheral.health`` is the :class:`~protocols.telemetry.HealthCode` of what the health
monitor last saw. ``peripheral.paper`` (printers only) is read from the reason the drivers
already give: the ESC/POS status says ``near_end`` / ``paper_out``, IPP's
``printer-state-reasons`` become ``paper_low`` / ``paper_out`` / ``tray_missing``. A printer
that prints and says nothing about paper has paper (``ok``); one that cannot be asked, or is
stopped for another reason (cover open), is ``unknown``: its paper cannot be told.
"""

from __future__ import annotations

from protocols.messages import Health, Metric
from protocols.telemetry import HealthCode, PaperCode, PeripheralMetric

#: peripheral kinds that have paper
PRINTER_KINDS = frozenset({"receipt_printer", "a4_printer"})

HEALTH_CODES = {
    Health.OK: HealthCode.OK,
    Health.DEGRADED: HealthCode.DEGRADED,
    Health.OFFLINE: HealthCode.OFFLINE,
    Health.UNKNOWN: HealthCode.UNKNOWN,
}
#: a driver's health reason → what it says about paper
PAPER_REASONS = {
    "near_end": PaperCode.NEAR_END,  # ESC/POS paper roll near-end sensor
    "paper_low": PaperCode.NEAR_END,  # IPP media-low
    "paper_out": PaperCode.OUT,  # ESC/POS paper end, IPP media-empty / media-needed
    "tray_missing": PaperCode.OUT,  # IPP input-tray-missing: nothing to print on
}


def paper_code(health: Health, reason: str) -> PaperCode:
    """What a printer's (health, reason) says about its paper."""
    found = PAPER_REASONS.get(reason.split(":", 1)[0].strip())
    if found is not None:
        return found
    if health in (Health.OK, Health.DEGRADED):  # it prints: it has paper
        return PaperCode.OK
    return PaperCode.UNKNOWN


def state_metrics(pid: str, kind: str, health: Health, reason: str, ts: int) -> list[Metric]:
    """``peripheral.health`` (and ``peripheral.paper`` for a printer) of one peripheral."""
    tags = {"peripheral": pid, "kind": kind[:64]}
    out = [Metric(name=PeripheralMetric.HEALTH.value, value=HEALTH_CODES[health], ts=ts, tags=tags)]
    if kind in PRINTER_KINDS:
        code = paper_code(health, reason)
        out.append(Metric(name=PeripheralMetric.PAPER.value, value=code, ts=ts, tags=tags))
    return out
