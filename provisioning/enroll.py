"""``kfleet provision enroll``: a one-time token in, an enrolled device with a working agent
config out — or one precise error and a clear account of what state things are in.

Order matters, so a used token is never burnt for nothing: the token's shape, the device id
and the config path are checked locally, then the cloud is reached once without the token
(reachability, TLS, the clock from its ``Date`` header); only then is the token sent. After
the cloud has enrolled the device the config is written (atomically, 0600, old file kept as
``.bak``), the clock is checked against ``server_time_ms``, and one MQTT connection proves the
new credentials. A failure after the enrollment says so and says what to do.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from protocols.enrollment import (
    ENROLL_PATH,
    EnrollRequest,
    EnrollResponse,
    is_enrollment_token,
    parse_qr_text,
)
from protocols.errors import ProtocolError
from protocols.topics import check_device_id
from provisioning import agent_file, broker_check, cloud_http
from provisioning.clock import check_clock
from provisioning.enroll_errors import BadInput, BadToken, ProvisionError
from provisioning.enroll_refusals import refusal

Say = Callable[[str], None]
PLACEHOLDER = {"device_id": "placeholder", "role": "kiosk", "site": "placeholder"}


@dataclass(frozen=True)
class EnrollOptions:
    config: Path
    data_dir: Path
    token: str | None = None
    cloud: str | None = None
    qr: str | None = None
    device_id: str | None = None
    name: str = ""
    ca_file: Path | None = None


@dataclass(frozen=True)
class Enrolled:
    response: EnrollResponse
    config: Path
    backup: Path | None


def token_and_cloud(opts: EnrollOptions) -> tuple[str, str]:
    """From ``--qr`` or ``--token`` + ``--cloud``; :class:`BadToken`/:class:`BadInput`."""
    if opts.qr is not None:
        try:
            cloud, token = parse_qr_text(opts.qr)
        except ProtocolError as err:
            raise BadToken(f"{err}; nothing was sent") from err
        return cloud_http.check_cloud_url(cloud), token
    if not opts.token or not opts.cloud:
        raise BadInput("give --token and --cloud, or --qr with the scanned code's text")
    token = opts.token.strip()
    if not is_enrollment_token(token):
        shown = token[:8] + "…" if len(token) > 8 else token
        raise BadToken(
            f"the token {shown!r} is malformed: an enrollment token is kfe_<16 hex>_<43 "
            "letters, digits, - or _> (73 characters); copy it again or scan the QR code "
            "(nothing was sent)"
        )
    return cloud_http.check_cloud_url(opts.cloud), token


def preflight(opts: EnrollOptions, say: Say) -> dict[str, Any]:
    """Local checks: device id, config writable, existing config mergeable. Its raw keys."""
    if opts.device_id is not None:
        try:
            check_device_id(opts.device_id)
        except ProtocolError as err:
            raise BadInput(f"--device-id: {err}") from err
    say(f"checking that {opts.config} can be written")
    agent_file.check_writable(opts.config)
    existing = agent_file.read_raw(opts.config)
    agent_file.validated(agent_file.merged(existing, _identity_stub(opts)), opts.config)
    return existing


def _identity_stub(opts: EnrollOptions) -> dict[str, Any]:
    mqtt = {"url": "mqtt://placeholder:1883"}
    return {**PLACEHOLDER, "data_dir": str(opts.data_dir), "mqtt": mqtt}


def check_cloud_clock(cloud: str, ca_file: Path | None) -> None:
    """Reach the cloud once without the token: TLS, reachability, and its clock (``Date``)."""
    r = cloud_http.request("GET", f"{cloud}/healthz", ca_file=ca_file)
    date = r.headers.get("date")
    if date:
        check_clock(int(parsedate_to_datetime(date).timestamp() * 1000))


def ask_cloud(cloud: str, token: str, opts: EnrollOptions) -> EnrollResponse:
    body = EnrollRequest(
        token=token,
        device_id=opts.device_id,
        name=opts.name,
        hostname=socket.gethostname()[:255],
        agent_version=_agent_version(),
    )
    r = cloud_http.request(
        "POST", cloud + ENROLL_PATH, ca_file=opts.ca_file, json=body.model_dump(mode="json")
    )
    if r.status_code != 200:
        raise refusal(r)
    return EnrollResponse.model_validate(r.json())


def _agent_version() -> str:
    from edge_agent import __version__

    return __version__[:64]


def identity(resp: EnrollResponse, opts: EnrollOptions) -> dict[str, Any]:
    """The keys enrollment owns in the agent's file."""
    mqtt_ca = _mqtt_ca(opts, resp)
    keys: dict[str, Any] = {
        "device_id": resp.device_id,
        "role": resp.role.value,
        "site": resp.site,
        "name": resp.name,
        "mqtt": {
            "url": resp.mqtt.url,
            "username": resp.mqtt.username,
            "password": resp.mqtt.password,
            "client_id": resp.mqtt.client_id,
            "ca_file": str(mqtt_ca.resolve()) if mqtt_ca else None,
        },
        "cloud": {
            "url": resp.cloud_url.rstrip("/"),
            "ca_file": str(opts.ca_file.resolve()) if opts.ca_file else None,
        },
    }
    return keys


def after_enrollment(err: ProvisionError, resp: EnrollResponse, state: str) -> ProvisionError:
    """``err`` (same class, same exit code) with what state the enrollment left behind."""
    return type(err)(f"{err}. NOTE: the cloud enrolled device {resp.device_id} already; {state}")


def write_config(
    resp: EnrollResponse, opts: EnrollOptions, existing: dict[str, Any]
) -> Path | None:
    """Write the merged config (and the broker's CA, if the cloud gave one); the backup."""
    if resp.mqtt.ca_pem:
        ca_pem_file = opts.config.parent / "broker-ca.crt"
        try:
            ca_pem_file.write_text(resp.mqtt.ca_pem, encoding="utf-8")
        except OSError as err:
            raise agent_file.not_writable(ca_pem_file, err) from err
    keys = identity(resp, opts)
    if "data_dir" not in existing:
        keys["data_dir"] = str(opts.data_dir)
    raw = agent_file.merged(existing, keys)
    agent_file.validated(raw, opts.config)
    return agent_file.write_atomic(opts.config, raw)


def enroll(opts: EnrollOptions, say: Say) -> Enrolled:
    """Every step, each announced with ``say``; the first failure raises."""
    say("checking the token")
    cloud, token = token_and_cloud(opts)
    existing = preflight(opts, say)
    say(f"reaching the cloud at {cloud} (TLS, clock)")
    check_cloud_clock(cloud, opts.ca_file)
    say("sending the token to the cloud")
    resp = ask_cloud(cloud, token, opts)
    say(f"enrolled as {resp.device_id} at {resp.site}; writing {opts.config}")
    try:
        backup = write_config(resp, opts, existing)
    except ProvisionError as err:
        raise after_enrollment(
            err,
            resp,
            f"its credentials could not be saved, so the token is spent: fix the cause, then "
            f"run enroll again with a NEW token (and ask the operator to revoke "
            f"{resp.device_id} if it will not be enrolled again under that id)",
        ) from err
    written = f"its config is written to {opts.config}"
    try:
        say("checking the clock against the cloud's")
        check_clock(resp.server_time_ms)
        say(f"connecting once to the broker at {broker_check.endpoint(resp.mqtt.url).url}")
        broker_check.prove(
            resp.mqtt.url,
            resp.mqtt.username,
            resp.mqtt.password,
            f"{resp.mqtt.client_id[:50]}-provision",
            _mqtt_ca(opts, resp),
        )
    except ProvisionError as err:
        raise after_enrollment(
            err,
            resp,
            f"{written}. Fix the cause, then `kfleet provision status` and start the agent "
            "(no new token is needed)",
        ) from err
    return Enrolled(resp, opts.config, backup)


def _mqtt_ca(opts: EnrollOptions, resp: EnrollResponse) -> Path | None:
    if resp.mqtt.ca_pem:
        return opts.config.parent / "broker-ca.crt"
    return opts.ca_file


def summary(done: Enrolled) -> str:
    """What was done, for the technician (never the secret)."""
    r = done.response
    lines = [
        "enrolled:",
        f"  device   {r.device_id}" + (f"  ({r.name})" if r.name else ""),
        f"  site     {r.site}",
        f"  role     {r.role.value}",
        f"  broker   {broker_check.endpoint(r.mqtt.url).url} (user {r.mqtt.username}: connected)",
        f"  cloud    {r.cloud_url}",
        f"  config   {done.config} (mode 0600)",
    ]
    if done.backup is not None:
        lines.append(f"  previous config kept as {done.backup}")
    lines.append(f"next: kfleet agent run --config {done.config}")
    return "\n".join(lines)
