"""The agent's peripheral registry: one narrow :class:`Peripheral` interface over every driver.

The agent sees a peripheral as an id, a ``kind`` (the hardware), a ``model``, the
``capabilities`` it offers, an ``async health()`` that never raises and an ``async close()``.
Optionally (``edge_agent.peripherals.telemetry``) it keeps ``counters()`` for telemetry and
tells the agent at once when its health may have changed (a serial device unplugged).
Peripherals with a connection of their own or with something to report (call button, ID-card
reader, rating pad) are also :class:`ActivePeripheral`: ``start()`` connects (bounded, so the
birth can say ``ok``), ``run(emit)`` turns device input into ``evt`` bodies until cancelled.

:func:`build_peripheral` dispatches on the config's ``type``; driver modules (and their
hardware libraries) are imported only when a peripheral of that type is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from edge_agent.drivers.base import ReceiptPrinter, health_of
from edge_agent.drivers.config import (
    A4SpoolConfig,
    AvCameraConfig,
    CallButtonSerial,
    DocCameraConfig,
    EscposFile,
    EscposNetwork,
    EscposSerial,
    EscposUsb,
    IdCardReaderConfig,
    IppPrinterConfig,
    PeripheralConfig,
    RatingPadSerial,
)
from edge_agent.peripherals.events import idcard_event, rating_event
from protocols.messages import ButtonData, EventBody, EventKind, Health

if TYPE_CHECKING:
    from edge_agent.drivers.a4_base import A4Printer
    from edge_agent.drivers.av_camera import AvCamera
    from edge_agent.drivers.call_button import CallButtonDriver, SerialDriver
    from edge_agent.drivers.doc_camera import DocCamera
    from edge_agent.drivers.idcard_reader import IdCardReader
    from edge_agent.drivers.rating_pad import RatingPadDriver, RatingResult

log = logging.getLogger(__name__)

Emit = Callable[[EventBody], Awaitable[None]]

#: how long ``start()`` waits for a serial device's first heartbeat (so the birth says ok)
READY_TIMEOUT_S = 3.0
#: longest pause between ID-card polls after repeated errors (unplugged reader)
IDCARD_MAX_BACKOFF_S = 30.0

KIND_OF_TYPE = {
    "escpos_network": "receipt_printer",
    "escpos_serial": "receipt_printer",
    "escpos_usb": "receipt_printer",
    "escpos_file": "receipt_printer",
    "idcard_ga467": "idcard_reader",
    "call_button_serial": "call_button",
    "rating_pad_serial": "rating_pad",
    "doc_camera_uvc": "doc_camera",
    "av_camera": "av_camera",
    "ipp": "a4_printer",
    "a4_spool": "a4_printer",
}


@runtime_checkable
class Peripheral(Protocol):
    """A peripheral as the agent's registry, birth and health monitor see it."""

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def capabilities(self) -> tuple[str, ...]: ...

    async def health(self) -> tuple[Health, str]:
        """(health, reason); never raises: a missing device is ``offline`` with a reason."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class ActivePeripheral(Peripheral, Protocol):
    """A peripheral with a connection to keep or device input to report."""

    async def start(self) -> None:
        """Connect; returns once ready or after a bound (never raises for a missing device)."""
        ...

    async def run(self, emit: Emit) -> None:
        """Report device input as events through ``emit`` until cancelled."""
        ...


class _Delegate:
    """id / model / capabilities taken from a driver object that has them."""

    _driver: ReceiptPrinter | IdCardReader | SerialDriver | DocCamera | AvCamera | A4Printer

    @property
    def id(self) -> str:
        return self._driver.id

    @property
    def capabilities(self) -> tuple[str, ...]:
        return self._driver.capabilities


class ReceiptPeripheral(_Delegate):
    """An ESC/POS receipt printer; ``printer`` is what the job runner prints with."""

    def __init__(self, printer: ReceiptPrinter) -> None:
        self._driver = self.printer = printer

    @property
    def kind(self) -> str:
        return self.printer.kind

    @property
    def model(self) -> str:
        return self.printer.model

    async def health(self) -> tuple[Health, str]:
        return health_of(await self.printer.probe())

    async def close(self) -> None:
        """Nothing to close: the driver connects per job and per probe."""

    def counters(self) -> Mapping[str, int]:
        found = getattr(self.printer, "counters", None)  # optional on ReceiptPrinter
        return dict(found) if isinstance(found, Mapping) else {}


class IdCardPeripheral(_Delegate):
    """A GA 467 ID-card reader; with ``auto_read`` it reports each card placed (masked)."""

    kind = "idcard_reader"

    def __init__(self, reader: IdCardReader) -> None:
        self._driver = self.reader = reader
        self.cfg = reader.cfg
        self._watchers: list[Callable[[], None]] = []

    @property
    def model(self) -> str:
        return self.reader.model

    async def health(self) -> tuple[Health, str]:
        return await self.reader.health()

    async def close(self) -> None:
        await self.reader.close()

    def counters(self) -> Mapping[str, int]:
        """Reads and failures by reason: never anything read off a card."""
        r = self.reader
        return {
            "reads": r.reads_ok,
            "read_errors": r.reads_failed,
            **{f"errors.{k}": v for k, v in r.failures.items()},
        }

    def on_health_change(self, callback: Callable[[], None]) -> None:
        """With ``auto_read``, the first failed poll (unplugged) and the first good one after
        failures are reported at once; without it nothing polls, so the health loop tells."""
        self._watchers.append(callback)

    async def start(self) -> None:
        """The port is opened by the first command (the health probe)."""

    async def run(self, emit: Emit) -> None:
        if not self.cfg.auto_read:
            return
        from edge_agent.drivers.idcard_errors import IdCardError

        present, failures = False, 0
        while True:
            before = failures
            try:
                read = await self.reader.read_card(0)  # one "find card", no waiting
            except IdCardError:  # logged and counted by the driver; health says the rest
                failures += 1
            else:
                failures = 0
                if read is None:
                    present = False
                elif not present:  # report a card once, not at every poll while it lies there
                    present = True
                    await emit(idcard_event(self.id, read))
            if (before == 0) != (failures == 0):  # broke or recovered: tell the agent now
                for callback in self._watchers:
                    callback()
            pause = self.cfg.auto_read_interval_s * 2 ** min(failures, 16)
            await asyncio.sleep(
                min(pause, max(IDCARD_MAX_BACKOFF_S, self.cfg.auto_read_interval_s))
            )


class _SerialPeripheral(_Delegate):
    _driver: SerialDriver

    @property
    def kind(self) -> str:
        return self._driver.kind

    @property
    def model(self) -> str:
        cfg = self._driver.cfg
        return cfg.model or str(getattr(cfg, "type", self.kind))

    async def health(self) -> tuple[Health, str]:
        return self._driver.health()

    async def close(self) -> None:
        await self._driver.stop()

    def counters(self) -> Mapping[str, int]:
        return self._driver.counters()

    def on_health_change(self, callback: Callable[[], None]) -> None:
        self._driver.link.add_listener(callback)

    async def start(self) -> None:
        await self._driver.start()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(READY_TIMEOUT_S):
                await self._driver.wait_health(Health.OK)


class CallButtonPeripheral(_SerialPeripheral):
    """A serial call button: each press (and long press) becomes a ``button`` event."""

    def __init__(self, driver: CallButtonDriver) -> None:
        self._driver = self.driver = driver

    async def run(self, emit: Emit) -> None:
        async for ev in self.driver.events():
            if ev.kind.value in ("press", "long_press"):
                data = ButtonData(button=ev.button, kind=ev.kind.value)
                await emit(
                    EventBody(kind=EventKind.BUTTON, peripheral=self.id, data=data.model_dump())
                )


class RatingPadPeripheral(_SerialPeripheral):
    """A 好差评 rating pad; :meth:`request_rating` asks and reports a ``rating`` event."""

    def __init__(self, driver: RatingPadDriver) -> None:
        self._driver = self.driver = driver

    async def run(self, emit: Emit) -> None:
        """The pad speaks only when asked (see :meth:`request_rating`)."""

    async def request_rating(
        self, emit: Emit, case_no: str, window: str, timeout_s: float, *, staff: str = ""
    ) -> RatingResult:
        result = await self.driver.request_rating(case_no, window, timeout_s, staff=staff)
        await emit(rating_event(self.id, result))
        return result


class DocCameraPeripheral(_Delegate):
    """A document camera (高拍仪); ``camera.scan()`` serves the ``scan`` and ``copy`` jobs."""

    kind = "doc_camera"

    def __init__(self, camera: DocCamera) -> None:
        self._driver = self.camera = camera

    @property
    def model(self) -> str:
        return self.camera.model

    async def health(self) -> tuple[Health, str]:
        return await self.camera.health()

    async def close(self) -> None:
        await self.camera.close()

    def counters(self) -> Mapping[str, int]:
        return dict(self.camera.counters)


class AvCameraPeripheral(_Delegate):
    """A camera + microphone; ``camera.snapshot()`` serves the ``snapshot`` job."""

    kind = "av_camera"

    def __init__(self, camera: AvCamera) -> None:
        self._driver = self.camera = camera

    @property
    def model(self) -> str:
        return self.camera.model

    async def health(self) -> tuple[Health, str]:
        return await self.camera.health()

    async def close(self) -> None:
        await self.camera.close()

    def counters(self) -> Mapping[str, int]:
        return dict(self.camera.counters)


class A4Peripheral(_Delegate):
    """An A4 printer (IPP, or the demo's spool); with a document camera beside it on the same
    device (:meth:`pair_scanner`) it also offers ``copy``."""

    kind = "a4_printer"

    def __init__(self, printer: A4Printer) -> None:
        self._driver = self.printer = printer
        self.scanner: DocCameraPeripheral | None = None

    def pair_scanner(self, scanner: DocCameraPeripheral) -> None:
        self.scanner = scanner

    @property
    def capabilities(self) -> tuple[str, ...]:
        own = self.printer.capabilities
        return (*own, "copy") if self.scanner is not None and "copy" not in own else own

    @property
    def model(self) -> str:
        return self.printer.model

    async def health(self) -> tuple[Health, str]:
        return await self.printer.health()

    async def close(self) -> None:
        await self.printer.close()


class BrokenPeripheral:
    """A configured peripheral whose driver could not even be built: always offline."""

    def __init__(self, cfg: PeripheralConfig, reason: str) -> None:
        self.cfg, self.reason = cfg, reason

    @property
    def id(self) -> str:
        return self.cfg.id

    @property
    def kind(self) -> str:
        return KIND_OF_TYPE.get(self.cfg.type, self.cfg.type)

    @property
    def model(self) -> str:
        return self.cfg.model or self.cfg.type

    @property
    def capabilities(self) -> tuple[str, ...]:
        return tuple(self.cfg.capabilities)

    async def health(self) -> tuple[Health, str]:
        return Health.OFFLINE, self.reason

    async def close(self) -> None:
        pass


def build_peripheral(cfg: PeripheralConfig) -> Peripheral:
    """The adapted driver for one configured peripheral, chosen by its ``type``."""
    match cfg:
        case EscposNetwork() | EscposSerial() | EscposUsb() | EscposFile():
            from edge_agent.drivers.receipt_escpos import EscPosReceiptPrinter

            return ReceiptPeripheral(EscPosReceiptPrinter(cfg))
        case IdCardReaderConfig():
            from edge_agent.drivers.idcard_reader import IdCardReader

            return IdCardPeripheral(IdCardReader(cfg))
        case CallButtonSerial():
            from edge_agent.drivers.call_button import CallButtonDriver

            return CallButtonPeripheral(CallButtonDriver(cfg))
        case RatingPadSerial():
            from edge_agent.drivers.rating_pad import RatingPadDriver

            return RatingPadPeripheral(RatingPadDriver(cfg))
        case DocCameraConfig():
            from edge_agent.drivers.doc_camera import DocCamera

            return DocCameraPeripheral(DocCamera(cfg))
        case AvCameraConfig():
            from edge_agent.drivers.av_camera import AvCamera

            return AvCameraPeripheral(AvCamera(cfg))
        case IppPrinterConfig():
            from edge_agent.drivers.a4_ipp import IppPrinter

            return A4Peripheral(IppPrinter(cfg))
        case A4SpoolConfig():
            from edge_agent.drivers.a4_spool import SpoolPrinter

            return A4Peripheral(SpoolPrinter(cfg))
    raise AssertionError(f"no driver for peripheral type {cfg.type!r}")  # pragma: no cover


def build_or_broken(cfg: PeripheralConfig) -> Peripheral:
    """:func:`build_peripheral`, or a :class:`BrokenPeripheral` saying why it failed."""
    try:
        return build_peripheral(cfg)
    except Exception as err:  # a missing library or a driver bug must not stop the agent
        log.exception("peripheral %s (%s): the driver could not be set up", cfg.id, cfg.type)
        return BrokenPeripheral(cfg, f"driver unavailable: {err!r}"[:1024])
