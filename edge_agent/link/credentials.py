"""Re-reading the device's broker credentials from its config file before a reconnect.

``kfleet provision rotate`` writes the new password into the agent's file while the agent
runs; the broker takes the new password at once and the old session is closed (or refused at
its next CONNECT). Reading the pair again before every reconnect lets the running agent carry
on with the new one, with no restart and no failed attempt. A file that cannot be read or
parsed now keeps the credentials in memory (the agent must not go dark over a bad edit).
"""

from __future__ import annotations

import logging
import ssl
import tomllib
from pathlib import Path

from edge_agent.config import MqttSettings

log = logging.getLogger(__name__)


def reread_credentials(path: Path | None, current: MqttSettings) -> MqttSettings:
    """``current`` with ``mqtt.username``/``mqtt.password`` as the file at ``path`` has them
    now (``current`` itself if unchanged, unreadable, or no path)."""
    if path is None:
        return current
    try:
        mqtt = tomllib.loads(path.read_text(encoding="utf-8")).get("mqtt", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        log.warning("cannot re-read credentials from %s (%s): keeping the current ones", path, err)
        return current
    username, password = mqtt.get("username"), mqtt.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return current
    if (username, password) == (current.username, current.password):
        return current
    log.info("%s has new MQTT credentials for %s: using them from now on", path, username)
    return current.model_copy(update={"username": username, "password": password})


def tls_context(mqtt: MqttSettings) -> ssl.SSLContext:
    """The system's CAs, or only ``mqtt.ca_file`` (a private CA) when set."""
    return ssl.create_default_context(cafile=str(mqtt.ca_file) if mqtt.ca_file else None)
