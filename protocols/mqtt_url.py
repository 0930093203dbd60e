"""Broker addresses as URLs, the same for agent, cloud and tools.

``mqtt://[user:pass@]host[:1883][?v=5]``, ``mqtts://host[:8883]`` (TLS). ``v`` chooses the MQTT
protocol version: ``3.1.1`` (the default: works everywhere, amqtt included) or ``5``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, urlparse

from protocols.errors import ProtocolError


@dataclass(frozen=True, slots=True)
class MqttEndpoint:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    version: Literal["3.1.1", "5"] = "3.1.1"

    @property
    def url(self) -> str:
        """The URL without credentials (safe to log)."""
        scheme = "mqtts" if self.tls else "mqtt"
        suffix = "?v=5" if self.version == "5" else ""
        return f"{scheme}://{self.host}:{self.port}{suffix}"


def parse_mqtt_url(url: str) -> MqttEndpoint:
    """Parse a broker URL; raise :class:`ProtocolError` naming what is wrong."""
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ProtocolError(
            "bad_url", f"broker URL {url!r} must start with mqtt:// or mqtts:// (TLS)"
        )
    if not parsed.hostname:
        raise ProtocolError("bad_url", f"broker URL {url!r} has no host")
    tls = parsed.scheme in ("mqtts", "ssl")
    try:
        port = parsed.port or (8883 if tls else 1883)
    except ValueError as err:
        raise ProtocolError("bad_url", f"broker URL {url!r} has an invalid port") from err
    version = parse_qs(parsed.query).get("v", ["3.1.1"])[-1]
    if version not in ("3.1.1", "5"):
        raise ProtocolError("bad_url", f"broker URL {url!r}: v must be 3.1.1 or 5, not {version!r}")
    return MqttEndpoint(
        host=parsed.hostname,
        port=port,
        tls=tls,
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        version="5" if version == "5" else "3.1.1",
    )
