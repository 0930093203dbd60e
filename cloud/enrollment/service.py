"""The enrollment parts of one running cloud, built by :mod:`cloud.wiring`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.broker_acl.access import BrokerAccess
from cloud.dispatcher import Dispatcher
from cloud.enrollment.credentials import Credentials
from cloud.enrollment.exchange import DeviceEndpoints, Exchange
from cloud.enrollment.revoke import Revoker
from cloud.enrollment.tokens import TokenService
from cloud.hub import ChangeHub
from cloud.settings import Settings


@dataclass(frozen=True)
class Enrollment:
    tokens: TokenService
    exchange: Exchange
    credentials: Credentials
    revoker: Revoker


def device_endpoints(settings: Settings) -> DeviceEndpoints:
    """The broker URL devices dial (never the cloud's own credentials) and the cloud's URL."""
    mqtt = settings.device_mqtt_url or settings.mqtt.url
    return DeviceEndpoints(mqtt_url=mqtt, cloud_url=settings.base_url)


def build_enrollment(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    hub: ChangeHub,
    dispatcher: Dispatcher,
    access: BrokerAccess,
) -> Enrollment:
    credentials = Credentials(sessions, access, settings.device_credential_grace_s)
    return Enrollment(
        tokens=TokenService(sessions, settings.base_url, settings.enrollment_token_ttl_s),
        exchange=Exchange(sessions, credentials, device_endpoints(settings)),
        credentials=credentials,
        revoker=Revoker(sessions, hub, access, dispatcher),
    )
