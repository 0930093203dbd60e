"""Checks ``kfleet demo`` makes before it starts anything, so that a wrong option ends in one
sentence and an exit code within seconds instead of a traceback or a minute of retries."""

from __future__ import annotations

import errno
import socket
import tempfile
from pathlib import Path

from kfleet.errors import BrokerUnreachable, DataDirUnusable, PortUnavailable, UsageError
from kfleet.world.net import broker_refusal
from protocols.errors import ProtocolError
from protocols.mqtt_url import MqttEndpoint, parse_mqtt_url

#: how long the broker has to accept an MQTT connection before the demo gives up
BROKER_CHECK_S = 5.0


def check_port_number(port: int) -> None:
    if not 0 <= port <= 65535:
        raise UsageError(
            f"--port {port} is not a TCP port: choose one from 1 to 65535, or 0 for any free port"
        )


#: what to add when the command can do without --broker
EMBEDDED_HINT = ", or leave --broker out to use the embedded broker"


def parse_broker(url: str, *, optional: bool = True) -> MqttEndpoint:
    """``--broker``'s endpoint; ``optional``: the command has an embedded broker to offer."""
    try:
        return parse_mqtt_url(url)
    except ProtocolError as err:
        hint = EMBEDDED_HINT if optional else ""
        raise UsageError(f"--broker: {err}; give mqtt://host:port{hint}") from err


def prepare_data_dir(path: Path) -> None:
    """Create ``path`` if needed and prove a file can be written there."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise DataDirUnusable(
            f"cannot use {path} as the data directory: {err.strerror or err}; choose a "
            "directory you can write with --data-dir"
        ) from err


def check_listen(host: str, port: int) -> int:
    """The port the cloud can listen on (``port``, or any free one for 0); fail early, with a
    sentence, rather than with uvicorn's traceback after startup."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            s.bind((host, port))
            return int(s.getsockname()[1])
        except socket.gaierror as err:
            raise UsageError(
                f"--host {host} is not an address of this machine ({err.strerror}); "
                "use 127.0.0.1, or 0.0.0.0 to listen on every interface"
            ) from err
        except OSError as err:
            if err.errno == errno.EADDRNOTAVAIL:
                raise UsageError(
                    f"--host {host} is not an address of this machine; use 127.0.0.1, or "
                    "0.0.0.0 to listen on every interface"
                ) from err
            raise PortUnavailable(
                f"cannot listen on {host}:{port}: {err.strerror}. Another program (an earlier "
                "demo?) uses it: stop it, or choose another port with --port"
            ) from err


async def check_broker(endpoint: MqttEndpoint, *, optional: bool = True) -> None:
    """Refuse at once when the broker cannot be reached or does not let a client in."""
    why = await broker_refusal(endpoint, BROKER_CHECK_S)
    if why is not None:
        hint = EMBEDDED_HINT if optional else ""
        raise BrokerUnreachable(
            f"cannot reach the MQTT broker at {endpoint.url} ({why}): start it or correct "
            f"--broker{hint}"
        )
