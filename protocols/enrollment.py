"""The device-facing enrollment contract: what ``kfleet provision enroll`` sends the cloud and
what it gets back, and the text an enrollment QR code carries.

A technician holds a one-time token ``kfe_<16 hex>_<43 chars>`` minted for a site and a device
role. The device POSTs it to :data:`ENROLL_PATH` with the id and name it proposes (a token
minted for a planned device fixes both); the cloud answers with the device's broker identity
(username = device id, a fresh random password that is also its HTTP Basic secret) and the
cloud's clock, so the CLI can tell a wrong clock from a wrong certificate. Rotation
(:data:`ROTATE_PATH`) is authenticated by the current credentials and returns new ones; the old
ones keep working over HTTP until the device has reconnected with the new.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from protocols.errors import ProtocolError
from protocols.messages import Role

ENROLL_PATH = "/api/v1/enroll"
ROTATE_PATH = "/api/v1/device/credentials/rotate"
SELF_PATH = "/api/v1/device/self"

ENROLLMENT_TOKEN_RE = re.compile(r"^kfe_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")
QR_SCHEME = "kfleet-enroll"

DeviceId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnrollRequest(_Strict):
    token: Annotated[str, Field(max_length=100)]
    #: proposed id and name; ignored when the token was minted for a planned device
    device_id: DeviceId | None = None
    name: Annotated[str, Field(max_length=128)] = ""
    hostname: Annotated[str, Field(max_length=255)] = ""
    agent_version: Annotated[str, Field(max_length=64)] = ""


class MqttCredentials(_Strict):
    url: str  # mqtt:// or mqtts://host:port as the device should dial it
    username: str
    password: str
    client_id: str
    #: PEM of the CA that signed the broker's certificate (mqtts), if the cloud knows it
    ca_pem: str | None = None


class EnrollResponse(_Strict):
    device_id: str
    name: str
    site: str  # site path, e.g. qh/hx/golmud/hhl
    role: Role
    mqtt: MqttCredentials
    cloud_url: str
    server_time_ms: int


class RotateResponse(_Strict):
    password: str
    #: the old password is accepted over HTTP until then (ms since epoch); MQTT takes the new
    #: one at once, so the agent reconnects with it
    old_valid_until_ms: int
    server_time_ms: int


class DeviceSelf(_Strict):
    """``GET`` :data:`SELF_PATH`: what the cloud knows of the calling device (``status``)."""

    device_id: str
    name: str
    site: str
    role: Role
    online: bool
    revoked: bool
    credential_created_ms: int
    server_time_ms: int


def is_enrollment_token(text: str) -> bool:
    return bool(ENROLLMENT_TOKEN_RE.fullmatch(text))


def qr_text(cloud_url: str, token: str) -> str:
    """What an enrollment QR code holds: ``kfleet-enroll:?cloud=<url>&token=<token>``."""
    return f"{QR_SCHEME}:?cloud={quote(cloud_url, safe=':/')}&token={token}"


def parse_qr_text(text: str) -> tuple[str, str]:
    """``(cloud_url, token)`` from a scanned QR text, or :class:`ProtocolError` saying what is
    missing."""
    parts = urlsplit(text.strip())
    if parts.scheme != QR_SCHEME:
        raise ProtocolError(
            "not_enrollment_code",
            f"not a kfleet enrollment code (it should start with {QR_SCHEME}:); scan the code "
            "the console shows for this device",
        )
    query = parse_qs(parts.query)
    cloud = (query.get("cloud") or [""])[0]
    token = (query.get("token") or [""])[0]
    if not cloud.startswith(("http://", "https://")):
        raise ProtocolError("qr_no_cloud", "the enrollment code has no cloud=http(s)://… address")
    if not is_enrollment_token(token):
        raise ProtocolError(
            "qr_bad_token", "the enrollment code's token is malformed (kfe_<16 hex>_<43 chars>)"
        )
    return cloud, token
