"""Settings of identity and access: console sessions, login lock-out, enrollment, and the
broker's access control. Mixed into :class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr


class IdentitySettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    session_idle_s: Annotated[
        int,
        Field(
            ge=60,
            le=7 * 24 * 3600,
            description="A console login ends after this many seconds without a request.",
        ),
    ] = 30 * 60
    session_absolute_s: Annotated[
        int,
        Field(
            ge=300,
            le=30 * 24 * 3600,
            description="A console login ends this many seconds after it began, used or not.",
        ),
    ] = 12 * 3600
    login_max_failures: Annotated[
        int,
        Field(
            ge=1,
            le=100,
            description="Consecutive failed logins after which an account is locked.",
        ),
    ] = 5
    login_lockout_s: Annotated[
        int,
        Field(
            ge=1,
            le=24 * 3600,
            description="Seconds a locked account stays locked (an administrator can unlock "
            "it sooner).",
        ),
    ] = 15 * 60
    enrollment_token_ttl_s: Annotated[
        int,
        Field(
            ge=60,
            le=90 * 24 * 3600,
            description="Default lifetime of an enrollment token, seconds (a token may ask "
            "for less or more within the bounds).",
        ),
    ] = 7 * 24 * 3600
    device_credential_grace_s: Annotated[
        int,
        Field(
            ge=0,
            le=24 * 3600,
            description="After a device rotates its credentials, the old secret still works "
            "over HTTP for this many seconds (MQTT takes the new one at once).",
        ),
    ] = 600
    device_mqtt_url: Annotated[
        str | None,
        Field(
            description="The broker URL written into an enrolled device's config (mqtt:// or "
            "mqtts://host:port); unset: the cloud's own mqtt_url.",
        ),
    ] = None
    broker_acl: Annotated[
        Literal["none", "dynsec", "http", "embedded"],
        Field(
            description="Who enforces device identities at the broker: 'dynsec' (Mosquitto "
            "dynamic security, driven by the cloud over $CONTROL), 'http' (the broker asks the "
            "cloud's /api/v1/broker/auth endpoints: EMQX and similar), 'embedded' (the demo's "
            "amqtt broker), 'none' (the broker is open: development only).",
        ),
    ] = "none"
    broker_admin_username: Annotated[
        str,
        Field(description="Broker identity allowed to send dynamic-security commands."),
    ] = "kfleet-admin"
    broker_admin_password: Annotated[
        SecretStr,
        Field(description="Its password (KFLEET_BROKER_ADMIN_PASSWORD)."),
    ] = SecretStr("")
    audit_export_max_rows: Annotated[
        int,
        Field(
            ge=1,
            le=10_000_000,
            description="Most rows one CSV export of the audit log may hold; a larger export "
            "is refused with a message asking for a narrower time range or filter.",
        ),
    ] = 200_000
