"""The agent configuration: one TOML file, validated by pydantic models with ``extra="forbid"``.

A typo in a key is an error, never a silently ignored setting: on a kiosk in a village
service point nobody reads logs, so the agent must refuse a bad file with a sentence that
names the key (``agent.toml: peripherals.0.port: Input should be a valid integer``).

Peripherals are a discriminated union on ``type``: one model per driver, in a hardware-free
``edge_agent.drivers.<family>_config`` module, joined by the driver table in
``edge_agent.peripherals.registry`` (adding a driver: a module and one line there).
"""

from __future__ import annotations

import ipaddress
import math
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from edge_agent.av.settings import AvSettings
from edge_agent.config_example import EXAMPLE
from edge_agent.drivers.camera_config import DocCameraConfig
from edge_agent.drivers.config import PeripheralId
from edge_agent.drivers.escpos_config import EscposFile, EscposNetwork, EscposSerial, EscposUsb
from edge_agent.drivers.idcard_config import IdCardReaderConfig
from edge_agent.drivers.serial_config import CallButtonSerial, RatingPadSerial
from edge_agent.errors import ConfigError
from edge_agent.peripherals.registry import PERIPHERAL_TYPES, PeripheralConfig
from protocols.errors import ProtocolError
from protocols.messages import Role
from protocols.mqtt_url import MqttEndpoint, parse_mqtt_url
from protocols.topics import check_device_id, check_site_path


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MqttSettings(_Model):
    """How to reach the broker, and how hard to try."""

    url: str
    keepalive_s: Annotated[int, Field(ge=5, le=3600)] = 30
    #: defaults to ``kf-{device_id}``: one session per device, so a restarted agent takes
    #: over the old session (and the broker publishes the old session's will, bd_seq N-1)
    client_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    reconnect_min_s: Annotated[float, Field(gt=0, le=60)] = 0.5
    reconnect_max_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    #: messages held in memory when the disk outbox cannot store them (disk full); beyond
    #: it new telemetry and events are dropped, acks are still kept
    outbox_size: Annotated[int, Field(ge=10, le=100_000)] = 1000
    #: the device's broker identity from ``kfleet provision enroll`` (username = device id);
    #: the same pair is its HTTP Basic credential for the cloud's blob routes. Re-read from
    #: this file before every reconnect, so ``kfleet provision rotate`` needs no restart.
    username: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    password: str | None = Field(default=None, min_length=1, max_length=256, repr=False)
    #: PEM file of the CA that signed the broker's certificate (mqtts with a private CA);
    #: default: the system's trusted CAs
    ca_file: Path | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            parse_mqtt_url(value)
        except ProtocolError as err:
            raise ValueError(str(err)) from err
        return value

    @model_validator(mode="after")
    def _backoff(self) -> MqttSettings:
        if self.reconnect_min_s > self.reconnect_max_s:
            raise ValueError("reconnect_min_s must not exceed reconnect_max_s")
        return self

    @property
    def endpoint(self) -> MqttEndpoint:
        """The broker; ``username``/``password`` keys win over credentials in the URL."""
        ep = parse_mqtt_url(self.url)
        if self.username is None:
            return ep
        return replace(ep, username=self.username, password=self.password)


class CloudSettings(_Model):
    """Where the cloud is (``kfleet provision status|rotate`` call it; the agent sends its
    device credentials only to blob URLs under this address)."""

    url: Annotated[str, Field(pattern=r"^https?://[^/\s]+")]
    #: PEM file of the CA that signed the cloud's HTTPS certificate, if private
    ca_file: Path | None = None


class OutboxSettings(_Model):
    """Bounds of the durable outbox (``outbox.sqlite3`` in the data dir;
    ``edge_agent.link.outbox``).

    Past a soft bound telemetry is shed, oldest first; acks and events are kept up to
    ``hard_max_bytes``, past which new events are refused (acks never are).
    """

    max_rows: Annotated[int, Field(ge=10, le=10_000_000)] = 10_000
    max_bytes: Annotated[int, Field(ge=1024, le=2**40)] = 16 * 2**20
    hard_max_bytes: Annotated[int, Field(ge=1024, le=2**40)] = 64 * 2**20
    #: QoS 1 publishes awaiting their PUBACK at once (throughput on a slow uplink)
    max_inflight: Annotated[int, Field(ge=1, le=64)] = 16

    @field_validator("hard_max_bytes")
    @classmethod
    def _hard_above_soft(cls, value: int, info: ValidationInfo) -> int:
        soft = info.data.get("max_bytes")
        if soft is not None and value < soft:
            raise ValueError(f"must not be below outbox.max_bytes ({soft})")
        return value


#: the outbox keeps at least this many telemetry messages whatever ``tele.backlog_s`` says
#: (a few MB): a long period or a batch split in several messages still has room
TELE_MIN_ROWS = 1000


class TeleSettings(_Model):
    """Telemetry sampling, and how long an outage the outbox keeps every batch for
    (``docs/agent-telemetry.md``)."""

    #: sample the system this often (default: once per ``tele_interval_s``); a batch carries
    #: every sample since the previous batch, each point with its own timestamp
    sample_interval_s: Annotated[float, Field(gt=0, le=3600)] | None = None
    #: an outage up to this long loses no batch; beyond it the oldest batches are shed
    backlog_s: Annotated[float, Field(ge=0, le=30 * 86400)] = 86400.0


class ScreenSettings(_Model):
    """The citizen-facing screen the agent serves for the device's own browser (kiosk mode).

    It is bound to a loopback address: the page shows the device's state to whoever can
    reach it, so serving it to the hall network must be a deliberate ``allow_remote``.
    """

    enabled: bool = True
    #: must come before ``host``: the host check reads it
    allow_remote: bool = False
    host: Annotated[str, Field(min_length=1, max_length=255)] = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8090
    #: the page's language unless the browser asks for ``?lang=``
    lang: Literal["zh-CN", "en"] = "zh-CN"
    #: shown on the page above the device name (e.g. 黄河路街道便民服务中心); the site path is not
    site_name: Annotated[str, Field(max_length=128)] = ""
    #: the window whose screen this is (``/window`` without ``?number=``), e.g. "3"
    window: Annotated[str, Field(pattern=r"^([0-9A-Za-z-]{1,8})?$")] = ""

    @field_validator("host")
    @classmethod
    def _loopback_only(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("allow_remote") or is_loopback(value):
            return value
        raise ValueError(
            f"{value!r} is not a loopback address (127.0.0.1, ::1 or localhost); the screen "
            "shows the device's state to anyone who can reach it, so set "
            "screen.allow_remote = true if it really must be served on the network"
        )


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class KioskSettings(_Model):
    """The citizen's kiosk application (``/kiosk`` on the screen server; docs/kiosk.md)."""

    #: no touch for this long: the screen warns (a countdown the citizen can cancel)
    idle_warn_s: Annotated[float, Field(ge=5, le=3600)] = 60.0
    #: ...and after this many further seconds everything personal is cleared
    idle_clear_s: Annotated[float, Field(ge=3, le=600)] = 20.0
    #: what the kiosk says first: zh-CN, or English for a hall that needs it
    lang: Literal["zh-CN", "en"] = "zh-CN"


class AgentConfig(_Model):
    """Everything one agent needs; see :func:`example_config` for a commented file."""

    device_id: str
    role: Role
    site: str
    name: Annotated[str, Field(max_length=128)] = ""
    #: where the bd_seq counter, the job journal and the outbox live (relative = next to the file)
    data_dir: Path
    #: how often to probe each peripheral's health (plus once after every job)
    health_interval_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    tele_interval_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    #: accepted jobs waiting per peripheral; beyond it new jobs are rejected
    job_queue_size: Annotated[int, Field(ge=1, le=10_000)] = 64
    mqtt: MqttSettings
    cloud: CloudSettings | None = None
    outbox: OutboxSettings = OutboxSettings()
    tele: TeleSettings = TeleSettings()
    screen: ScreenSettings = ScreenSettings()
    kiosk: KioskSettings = KioskSettings()
    av: AvSettings = AvSettings()
    peripherals: Annotated[list[PeripheralConfig], Field(max_length=64)] = []

    @field_validator("device_id")
    @classmethod
    def _device_id(cls, value: str) -> str:
        try:
            return check_device_id(value)
        except ProtocolError as err:
            raise ValueError(str(err)) from err

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        try:
            return check_site_path(value)
        except ProtocolError as err:
            raise ValueError(str(err)) from err

    @field_validator("peripherals")
    @classmethod
    def _unique_peripherals(cls, value: list[PeripheralConfig]) -> list[PeripheralConfig]:
        seen: set[str] = set()
        for p in value:
            if p.id in seen:
                raise ValueError(f"peripheral id {p.id!r} is used twice")
            seen.add(p.id)
        return value

    @model_validator(mode="after")
    def _sample_within_batch(self) -> AgentConfig:
        sample = self.tele.sample_interval_s
        if sample is not None and sample > self.tele_interval_s:
            raise ValueError(
                f"tele.sample_interval_s ({sample:g}) must not exceed tele_interval_s "
                f"({self.tele_interval_s:g}): a batch carries the samples since the last one"
            )
        return self

    @property
    def tele_backlog_rows(self) -> int:
        """Telemetry messages the outbox keeps: ``tele.backlog_s`` worth of batches (plus the
        current one), and never fewer than :data:`TELE_MIN_ROWS`."""
        return max(TELE_MIN_ROWS, math.ceil(self.tele.backlog_s / self.tele_interval_s) + 1)

    @property
    def client_id(self) -> str:
        return self.mqtt.client_id or f"kf-{self.device_id}"


__all__ = [
    "PERIPHERAL_TYPES",
    "AgentConfig",
    "AvSettings",
    "CallButtonSerial",
    "CloudSettings",
    "DocCameraConfig",
    "EscposFile",
    "EscposNetwork",
    "EscposSerial",
    "EscposUsb",
    "IdCardReaderConfig",
    "MqttSettings",
    "OutboxSettings",
    "PeripheralConfig",
    "PeripheralId",
    "RatingPadSerial",
    "ScreenSettings",
    "TeleSettings",
    "example_config",
    "load_config",
    "parse_config",
]


def load_config(path: str | Path) -> AgentConfig:
    """Read and validate a TOML file; raise :class:`ConfigError` naming the bad key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the file: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: the file is not UTF-8 text") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    return parse_config(raw, source=str(path), base_dir=path.parent)


def parse_config(raw: dict[str, Any], *, source: str, base_dir: Path | None = None) -> AgentConfig:
    """Validate an already-parsed mapping (``source`` prefixes error messages)."""
    try:
        config = AgentConfig.model_validate(raw)
    except ValidationError as err:
        problems = [_describe(e) for e in err.errors()]
        first_key = problems[0][0] if problems else None
        sentence = "; ".join(f"{source}: {key}: {why}" for key, why in problems)
        raise ConfigError(sentence, key=first_key) from err
    if base_dir is not None and not config.data_dir.is_absolute():
        config = config.model_copy(update={"data_dir": (base_dir / config.data_dir).resolve()})
    return config


def _describe(error: Any) -> tuple[str, str]:
    """(dotted key path, why) for one pydantic error; union tags are left out of the path."""
    loc = [str(p) for p in error["loc"] if str(p) not in PERIPHERAL_TYPES]
    key = ".".join(loc) or "(top level)"
    msg = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    quiet = ("missing", "extra_forbidden", "value_error")
    if error["type"] not in quiet and not isinstance(value, dict | list):
        msg += f" (got {value!r})"
    elif error["type"] == "extra_forbidden":
        msg = "unknown key (a typo?)"
    return key, msg


def example_config() -> str:
    """A commented configuration for a kiosk with one network receipt printer."""
    return EXAMPLE
