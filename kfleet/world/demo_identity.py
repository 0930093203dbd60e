"""Identities ``kfleet demo`` sets up the way a real site would: an administrator whose
generated password is printed, and every demo device enrolled with a one-time token minted
through the API (the same two calls a technician's ``kfleet provision enroll`` makes), so the
embedded broker admits each device only with its own credentials and only to its own topics.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx

from kfleet.errors import KfleetError
from kfleet.world.world import KioskSpec
from protocols.enrollment import ENROLL_PATH, EnrollRequest, EnrollResponse

#: the console login the demo creates (its password is generated and printed once)
DEMO_ADMIN = "admin"
#: the cloud's own login at the embedded broker (its password is random per run)
CLOUD_BROKER_USER = "kfleet-cloud"


@dataclass(frozen=True)
class DeviceLogin:
    """A device's broker identity (username = device id) and its HTTP Basic secret."""

    username: str
    password: str


def cloud_broker_password() -> str:
    return secrets.token_urlsafe(24)


def _refused(what: str, r: httpx.Response) -> KfleetError:
    try:
        message = str(r.json().get("message", r.text))
    except ValueError:
        message = r.text
    return KfleetError(f"the demo could not {what}: HTTP {r.status_code}: {message[:300]}")


async def enroll_devices(
    base_url: str, token: str, specs: list[KioskSpec]
) -> dict[str, DeviceLogin]:
    """Mint a token for each planned device and enroll it; its login, by device id."""
    logins: dict[str, DeviceLogin] = {}
    headers = {"Authorization": f"Bearer {token}"}
    # 60 s a call: an enrollment hashes a password and signs a certificate, and the cloud shares
    # a loaded machine (a browser test's world at load 17 waited past 15 s for one answer)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        for spec in specs:
            mint = {
                "site": spec.site,
                "role": spec.role,
                "device_id": spec.device_id,
                "name": spec.name,
                "ttl_s": 600,
            }
            r = await client.post("/api/v1/enrollment-tokens", json=mint, headers=headers)
            if r.status_code != 201:
                raise _refused(f"mint an enrollment token for {spec.device_id}", r)
            request = EnrollRequest(
                token=r.json()["token"],
                device_id=spec.device_id,
                name=spec.name,
                hostname="kfleet-demo",
            )
            r = await client.post(ENROLL_PATH, json=request.model_dump(mode="json"))
            if r.status_code != 200:
                raise _refused(f"enroll {spec.device_id}", r)
            answer = EnrollResponse.model_validate(r.json())
            logins[spec.device_id] = DeviceLogin(answer.mqtt.username, answer.mqtt.password)
    return logins
