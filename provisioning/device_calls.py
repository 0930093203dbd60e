"""``kfleet provision status`` and ``rotate``: the device's own calls to the cloud, with its
Basic credentials from the agent's config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from edge_agent.config import AgentConfig
from protocols.enrollment import ROTATE_PATH, SELF_PATH, DeviceSelf, RotateResponse
from provisioning import agent_file, broker_check, cloud_http
from provisioning.clock import iso, local_ms, offset_ms
from provisioning.enroll_errors import CloudRefused, DeviceRevoked, NotEnrolled, ProvisionError

Say = Callable[[str], None]


def _call(config: AgentConfig, method: str, path: str) -> httpx.Response:
    cloud = config.cloud
    assert cloud is not None and config.mqtt.username and config.mqtt.password
    r = cloud_http.request(
        method,
        cloud.url.rstrip("/") + path,
        ca_file=cloud.ca_file,
        auth=(config.mqtt.username, config.mqtt.password),
    )
    if r.status_code == 200:
        return r
    raise _refused(r, config)


def _refused(r: httpx.Response, config: AgentConfig) -> ProvisionError:
    code, message = cloud_http.error_code(r)
    if code == "device_revoked":
        return DeviceRevoked(
            f"the cloud says: {message}; this device cannot work until it is enrolled again "
            "(`kfleet provision enroll` with a new token)"
        )
    if r.status_code == 401:
        return NotEnrolled(
            f"the cloud does not accept this device's credentials ({code}): {message}; if "
            "they were just rotated, the config may hold the old ones (see the .bak file); "
            "otherwise enroll again with a new token"
        )
    return CloudRefused(f"the cloud answered HTTP {r.status_code} ({code}): {message}")


def status(path: Path) -> tuple[DeviceSelf, int]:
    """What the cloud knows of this device, and the local clock's offset (ms)."""
    config = agent_file.load_enrolled(path)
    me = DeviceSelf.model_validate(_call(config, "GET", SELF_PATH).json())
    if me.revoked:
        raise DeviceRevoked(f"device {me.device_id} is revoked in the cloud; enroll it again")
    return me, offset_ms(me.server_time_ms)


def describe(me: DeviceSelf, offset: int, config: Path) -> str:
    age_s = max(0, (me.server_time_ms - me.credential_created_ms) // 1000)
    lines = [
        f"device      {me.device_id}" + (f"  ({me.name})" if me.name else ""),
        f"site        {me.site}",
        f"role        {me.role.value}",
        f"online      {'yes' if me.online else 'no'}",
        f"revoked     {'yes' if me.revoked else 'no'}",
        f"credential  {age_s // 86400} d {age_s % 86400 // 3600} h old "
        f"(since {iso(me.credential_created_ms)})",
        f"clock       {offset / 1000:+.1f} s against the cloud's (local {iso(local_ms())})",
        f"config      {config}",
    ]
    return "\n".join(lines)


def rotate(path: Path, say: Say) -> RotateResponse:
    """New password from the cloud, written into the config, proven on the broker."""
    config = agent_file.load_enrolled(path)
    say(f"checking that {path} can be written")
    agent_file.check_writable(path)
    raw = agent_file.read_raw(path)
    say("asking the cloud for a new password")
    new = RotateResponse.model_validate(_call(config, "POST", ROTATE_PATH).json())
    raw = agent_file.merged(raw, {"mqtt": {"password": new.password}})
    say(f"writing the new password into {path} (the running agent reads it at reconnect)")
    try:
        agent_file.write_atomic(path, raw)
    except ProvisionError as err:
        raise type(err)(
            f"{err}. NOTE: the cloud has rotated the password, and the old one works over "
            f"HTTP only until {iso(new.old_valid_until_ms)} and no longer on the broker: fix "
            "the cause and run rotate again before then"
        ) from err
    say("connecting once to the broker with the new password")
    mqtt = config.mqtt
    assert mqtt.username is not None
    broker_check.prove(
        mqtt.url, mqtt.username, new.password, f"{config.client_id[:50]}-provision", mqtt.ca_file
    )
    return new
