"""Configuration of the GA 467 ID-card reader (hardware-free: no pyserial here)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from edge_agent.drivers.config import Capabilities, DriverConfig, PeripheralId, offers
from protocols.jobs import Capability


class IdCardReaderConfig(DriverConfig):
    """A GA 467 ID-card reader on a serial port (USB-serial adapters appear as one)."""

    type: Literal["idcard_ga467"]
    id: PeripheralId
    #: device path, e.g. /dev/ttyUSB0 (or a pty's slave path in tests)
    port: Annotated[str, Field(min_length=1, max_length=256)]
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200
    #: how long one command may take to be answered completely
    timeout_s: Annotated[float, Field(gt=0, le=30)] = 3.0
    #: how often "find card" is repeated while waiting for a card
    poll_interval_s: Annotated[float, Field(gt=0, le=5)] = 0.2
    capabilities: Capabilities = offers(Capability.IDCARD)
    model: Annotated[str, Field(max_length=128)] = ""
    #: the agent looks for a card every ``auto_read_interval_s`` and publishes an
    #: ``idcard_read`` event (masked data only) for each card placed; off by default
    auto_read: bool = False
    auto_read_interval_s: Annotated[float, Field(gt=0, le=60)] = 0.5
