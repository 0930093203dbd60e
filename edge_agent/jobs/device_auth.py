"""The device's HTTP Basic credentials on its blob calls, and only towards its own cloud.

The cloud authenticates a device's HTTP calls with the same id and secret as its MQTT
session (``mqtt.username``/``mqtt.password``). Blob URLs come inside jobs, so they are sent
the credentials only when they are under the configured ``[cloud] url`` (same scheme, host and
port): a URL elsewhere (a mistake, a presigned store) never sees the device's secret. The
agent sets this once per ``Agent.run`` task (a context variable: several agents may share a
process in the demo), with a getter so a rotated password is used from the next call on.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

#: (username, password), or None when the device has no credentials
Credentials = Callable[[], tuple[str, str] | None]


@dataclass(frozen=True)
class DeviceAuth:
    cloud_url: str
    credentials: Credentials


_current: ContextVar[DeviceAuth | None] = ContextVar("kfleet_device_auth", default=None)


def use(auth: DeviceAuth | None) -> None:
    """Credentials for the blob calls of the current task and the tasks it starts."""
    _current.set(auth)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def basic_for(url: str) -> tuple[str, str] | None:
    """The (username, password) to send to ``url``: only to the configured cloud's origin."""
    auth = _current.get()
    if auth is None or _origin(url) != _origin(auth.cloud_url):
        return None
    return auth.credentials()
