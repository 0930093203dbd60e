"""The driver registry: which peripheral ``type`` a config may name, what kind of hardware it
is, and which module drives it, imported on first use.

Adding a driver is one module in :mod:`edge_agent.drivers` (declaring ``DRIVER``, a
:class:`~edge_agent.drivers.base.DriverSpec`: its types, kind, config model and the class
built from a config) and one line in :data:`DRIVERS`. The config union
(:data:`PeripheralConfig`, a discriminated union on ``type``) is built from the same table
out of hardware-free config modules, so loading a config never imports a driver, and a
driver is imported only when a peripheral of its type is configured.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Union, cast

from pydantic import Field

from edge_agent.drivers.base import ConfiguredDriver, DriverSpec
from edge_agent.drivers.config import DriverConfig
from edge_agent.drivers.interface import Peripheral
from edge_agent.errors import AgentError
from protocols.messages import Health

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Driver:
    """One row of the table: the hardware ``kind``, the driver module, the config model
    (``module:Class``, both relative to ``edge_agent.drivers``)."""

    kind: str
    module: str
    config: str


#: ``type`` (as written in agent.toml) → its driver; the order is the order errors list them
DRIVERS: dict[str, Driver] = {
    "escpos_network": Driver("receipt_printer", "receipt_escpos", "escpos_config:EscposNetwork"),
    "escpos_serial": Driver("receipt_printer", "receipt_escpos", "escpos_config:EscposSerial"),
    "escpos_usb": Driver("receipt_printer", "receipt_escpos", "escpos_config:EscposUsb"),
    "escpos_file": Driver("receipt_printer", "receipt_escpos", "escpos_config:EscposFile"),
    "idcard_ga467": Driver("idcard_reader", "idcard_reader", "idcard_config:IdCardReaderConfig"),
    "call_button_serial": Driver("call_button", "call_button", "serial_config:CallButtonSerial"),
    "rating_pad_serial": Driver("rating_pad", "rating_pad", "serial_config:RatingPadSerial"),
    "doc_camera_uvc": Driver("doc_camera", "doc_camera", "camera_config:DocCameraConfig"),
    "av_camera": Driver("av_camera", "av_camera", "camera_config:AvCameraConfig"),
    "ipp": Driver("a4_printer", "a4_ipp", "a4_config:IppPrinterConfig"),
    "a4_spool": Driver("a4_printer", "a4_spool", "a4_config:A4SpoolConfig"),
}
PERIPHERAL_TYPES = frozenset(DRIVERS)


class NoDriver(AgentError):
    """A configured peripheral's driver module cannot be used."""


def config_model(driver: Driver) -> type[DriverConfig]:
    module, _, name = driver.config.partition(":")
    model = getattr(importlib.import_module(f"edge_agent.drivers.{module}"), name)
    return cast(type[DriverConfig], model)


if TYPE_CHECKING:
    PeripheralConfig = DriverConfig
else:
    PeripheralConfig = Annotated[
        Union[tuple(dict.fromkeys(config_model(d) for d in DRIVERS.values()))],  # noqa: UP007
        Field(discriminator="type"),
    ]


def driver_spec(type_: str) -> DriverSpec:
    """What the driver module of a peripheral type declares, imported now (hardware
    libraries with it)."""
    name = f"edge_agent.drivers.{DRIVERS[type_].module}"
    spec = getattr(importlib.import_module(name), "DRIVER", None)
    if not isinstance(spec, DriverSpec) or type_ not in spec.types:
        raise NoDriver(f"{name} does not declare a DRIVER for peripheral type {type_!r}")
    return spec


def build_peripheral(cfg: DriverConfig) -> Peripheral:
    """The driver object for one configured peripheral, chosen by its ``type``."""
    spec = driver_spec(cfg.type)
    if not isinstance(cfg, spec.config):
        raise NoDriver(f"the {cfg.type} driver does not take a {type(cfg).__name__}")
    return cast(Peripheral, spec.peripheral(cfg))


class BrokenPeripheral(ConfiguredDriver):
    """A configured peripheral whose driver could not even be built: always offline."""

    def __init__(self, cfg: DriverConfig, reason: str) -> None:
        self.cfg, self.reason = cfg, reason

    @property
    def kind(self) -> str:
        driver = DRIVERS.get(self.cfg.type)
        return driver.kind if driver is not None else self.cfg.type

    async def health(self) -> tuple[Health, str]:
        return Health.OFFLINE, self.reason

    async def close(self) -> None:
        pass


def build_or_broken(cfg: DriverConfig) -> Peripheral:
    """:func:`build_peripheral`, or a :class:`BrokenPeripheral` saying why it failed."""
    try:
        return build_peripheral(cfg)
    except Exception as err:  # a missing library or a driver bug must not stop the agent
        log.exception("peripheral %s (%s): the driver could not be set up", cfg.id, cfg.type)
        return BrokenPeripheral(cfg, f"driver unavailable: {err!r}"[:1024])
