"""The outside systems the kiosk services talk to, simulated for the demo and the browser
tests: the citizens' SMS gateway, the departments of the convenience queries, the city
政务服务平台 (case progress) and whatever a kiosk feature adds.

Each entry of :data:`KIOSK_PLATFORMS` starts one simulator and yields the cloud settings that
point at it; ``kiosk_departments`` entries are merged, every other key is set. The running
simulators are kept in :class:`KioskPlatforms` (the demo prints the texts the SMS simulator
"sends", so whoever tries the demo can type the one-time code).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from kfleet.world.demo_alipay import alipay_gateway
from kfleet.world.demo_departments import DEPARTMENT_STARTERS
from kfleet.world.demo_license_library import license_library
from simulators.city_platform import CityPlatformSim
from simulators.face_verify import FaceVerifySim
from simulators.identity_platform import IdentityPlatformSim
from simulators.sms_gateway import SmsGateway
from simulators.utility_bills import UtilityBillsSim

SMS_KEY = "sim-citizen-sms-key"


@dataclass
class KioskPlatforms:
    """The simulators running for the kiosk services, by name (``sms``, ``hrss``...)."""

    running: dict[str, Any] = field(default_factory=dict)

    @property
    def sms(self) -> SmsGateway | None:
        sms = self.running.get("sms")
        return sms if isinstance(sms, SmsGateway) else None


Starter = Callable[[KioskPlatforms], AbstractAsyncContextManager[dict[str, Any]]]


@contextlib.asynccontextmanager
async def citizen_sms(platforms: KioskPlatforms) -> AsyncIterator[dict[str, Any]]:
    async with SmsGateway(api_key=SMS_KEY, per_number_interval_s=0) as gateway:
        platforms.running["sms"] = gateway
        yield {"citizen_sms_url": gateway.url, "citizen_sms_key": SMS_KEY}


@contextlib.asynccontextmanager
async def city_platform(platforms: KioskPlatforms) -> AsyncIterator[dict[str, Any]]:
    """The city 政务服务平台's case API (case progress at the kiosk)."""
    app_id, secret = "sim-city-app", "sim-city-secret"
    async with CityPlatformSim(apps={app_id: secret}) as sim:
        platforms.running["city_platform"] = sim
        yield {
            "city_platform_url": sim.url,
            "city_platform_app_id": app_id,
            "city_platform_secret": secret,
        }


@contextlib.asynccontextmanager
async def appointment_slots(platforms: KioskPlatforms) -> AsyncIterator[dict[str, Any]]:
    """No simulator: the cloud makes slots for the demo's halls (docs/kiosk-appointments.md)."""
    yield {"appointments_demo_slots": True}


@contextlib.asynccontextmanager
async def identity_platform(platforms: KioskPlatforms) -> AsyncIterator[dict[str, Any]]:
    """The phone on file for the ID-card simulator's sample cards (person queries' codes)."""
    async with IdentityPlatformSim() as sim:
        platforms.running["identity"] = sim
        yield {"kiosk_identity_url": sim.url, "kiosk_identity_token": sim.token}


@contextlib.asynccontextmanager
async def face_verify(platforms: KioskPlatforms) -> AsyncIterator[dict[str, Any]]:
    """The face-verification service (高龄补贴 certification; docs/kiosk-elderly.md)."""
    async with FaceVerifySim() as sim:
        platforms.running["face_verify"] = sim
        yield {
            "face_verify_url": sim.url,
            "face_verify_app_id": sim.app_id,
            "face_verify_secret": sim.secret,
            "face_verify_timeout_s": 4.0,
        }


@contextlib.asynccontextmanager
async def bank_gateways(platforms: KioskPlatforms) -> AsyncIterator[dict[str, Any]]:
    """The ICBC and CCB payment gateways (docs/pay-banks.md), with keys made fresh."""
    from protocols.bank_sign import new_key_pair
    from simulators.ccb_gateway import CcbGatewaySim
    from simulators.icbc_gateway import IcbcGatewaySim

    private, public = new_key_pair()
    app_id = "10000000000000009001"
    async with IcbcGatewaySim(apps={app_id: public}) as icbc, CcbGatewaySim() as ccb:
        platforms.running["icbc"], platforms.running["ccb"] = icbc, ccb
        yield {
            "icbc_gateway_url": icbc.url,
            "icbc_app_id": app_id,
            "icbc_mer_id": icbc.mer_id,
            "icbc_private_key": private,
            "icbc_gateway_public_key": icbc.gateway_public_pem,
            "ccb_gateway_url": ccb.url,
            "ccb_merchant_id": ccb.merchant_id,
            "ccb_pos_id": ccb.pos_id,
            "ccb_branch_id": ccb.branch_id,
            "ccb_public_key": ccb.public_key_hex,
            "ccb_user_id": ccb.user_id,
            "ccb_password": ccb.password,
        }


@contextlib.asynccontextmanager
async def utility_bills(platforms: KioskPlatforms) -> AsyncIterator[dict[str, Any]]:
    """The water, power, gas and landline companies' bill APIs (生活缴费)."""
    async with UtilityBillsSim() as sim:
        platforms.running["utilities"] = sim
        yield {
            "pay_utilities_url": sim.url,
            "pay_utilities_app_id": sim.app_id,
            "pay_utilities_secret": sim.secret,
        }


#: one entry per simulated outside system (a feature adds its own line)
KIOSK_PLATFORMS: list[Starter] = [
    citizen_sms,
    city_platform,
    *DEPARTMENT_STARTERS,
    appointment_slots,
    identity_platform,  # queries: the phone on file for one-time codes
    alipay_gateway,  # payments: the Alipay open-platform gateway and its phone page
    face_verify,  # elderly: 人脸核验 for the 高龄补贴 certification
    license_library,  # certs: the 电子证照库 certificates are reported to
    bank_gateways,  # payments: ICBC and CCB (docs/pay-banks.md)
    utility_bills,  # 生活缴费: the utilities' bills (paycore)
]


@contextlib.asynccontextmanager
async def with_kiosk_platforms(
    enabled: bool, cloud_settings: dict[str, Any], platforms: KioskPlatforms
) -> AsyncIterator[dict[str, Any]]:
    """The cloud settings pointing at every simulated kiosk platform while they run
    (unchanged when not ``enabled``)."""
    if not enabled:
        yield cloud_settings
        return
    merged = dict(cloud_settings)
    async with contextlib.AsyncExitStack() as stack:
        for start in KIOSK_PLATFORMS:
            added = await stack.enter_async_context(start(platforms))
            for key, value in added.items():
                if key == "kiosk_departments":
                    merged[key] = {**merged.get(key, {}), **value}
                else:
                    merged.setdefault(key, value)
        yield merged
