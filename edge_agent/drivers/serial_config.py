"""Configuration of the framed-serial peripherals: call button and 好差评 rating pad."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from edge_agent.drivers.config import Capabilities, DriverConfig, PeripheralId, offers
from protocols.jobs import Capability


class SerialSettings(DriverConfig):
    """What every framed-serial peripheral's config has."""

    id: PeripheralId
    port: Annotated[str, Field(min_length=1)]
    baudrate: Annotated[int, Field(ge=1200, le=921_600)] = 9600
    model: Annotated[str, Field(max_length=128)] = ""
    capabilities: Capabilities
    #: expected heartbeat interval until the device announces its own
    heartbeat_s: Annotated[float, Field(gt=0, le=3600)] = 5.0
    ack_timeout_s: Annotated[float, Field(gt=0, le=10)] = 0.3
    retries: Annotated[int, Field(ge=0, le=10)] = 3
    reconnect_min_s: Annotated[float, Field(gt=0, le=60)] = 0.5
    reconnect_max_s: Annotated[float, Field(gt=0, le=600)] = 10.0


class CallButtonSerial(SerialSettings):
    type: Literal["call_button_serial"]
    capabilities: Capabilities = offers(Capability.CALL_BUTTON)
    #: edges of one button closer than this (device clock) are contact bounce
    debounce_ms: Annotated[int, Field(ge=0, le=500)] = 30
    #: after a suppressed edge, wait this long for the rest of the burst before settling
    settle_s: Annotated[float, Field(gt=0, le=5)] = 0.25


class RatingPadSerial(SerialSettings):
    type: Literal["rating_pad_serial"]
    capabilities: Capabilities = offers(Capability.RATING)
    #: how much longer than the request's timeout the driver waits for the pad's own answer
    grace_s: Annotated[float, Field(gt=0, le=60)] = 2.0
