"""The ``[av]`` settings of the agent's configuration, and what the stream desk reads of a
whole configuration (kept here, not in ``edge_agent.config``, so the streams never import the
configuration module, which imports the peripherals that call them)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class AvSettings(BaseModel):
    """Live camera + microphone streams (``[av]``; docs/agent-av.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: streams this device carries at once; each has its own encoder (CPU: docs/agent-av.md)
    max_streams: Annotated[int, Field(ge=1, le=8)] = 2
    #: the local addresses offered to the media server as ICE host candidates (IP literals,
    #: e.g. the hall LAN's); empty: every interface's
    ice_host_addresses: Annotated[list[str], Field(max_length=8)] = []
    #: after a failed session, a new WHIP session is tried after this pause, doubling...
    reconnect_min_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    #: ...up to this one
    reconnect_max_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    #: no RTCP receiver report from the media server for this long: the session is dead
    liveness_s: Annotated[float, Field(ge=2, le=300)] = 10.0
    #: one WHIP request (POST offer / DELETE) may take this long
    whip_timeout_s: Annotated[float, Field(gt=0, le=60)] = 10.0

    @field_validator("ice_host_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for a in value:
            try:
                ipaddress.ip_address(a)
            except ValueError:
                raise ValueError(f"{a!r} is not an IP address (e.g. 192.168.1.20)") from None
        return value

    @model_validator(mode="after")
    def _backoff(self) -> AvSettings:
        if self.reconnect_min_s > self.reconnect_max_s:
            raise ValueError("reconnect_min_s must not exceed reconnect_max_s")
        return self


class _CloudPart(Protocol):
    @property
    def ca_file(self) -> Path | None: ...


class StreamsConfig(Protocol):
    """What the stream desk reads of an ``AgentConfig``."""

    @property
    def av(self) -> AvSettings: ...

    @property
    def cloud(self) -> _CloudPart | None: ...
