"""Settings of utility payments (生活缴费, docs/kiosk-payments.md): the utilities' bill API and
the orders' timeout. Each payment channel has its own mixin (``settings_alipay.py``...).
Mixed into :class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class PaySettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    pay_utilities_url: Annotated[
        str,
        Field(
            description="Base URL of the utilities' bill API (水电气固话: water, electricity, gas, "
            "landline; docs/kiosk-payments.md). Empty: the kiosk's 生活缴费 says it is not "
            "available."
        ),
    ] = ""
    pay_utilities_app_id: Annotated[
        str, Field(max_length=64, description="Our app id at the utilities' bill API.")
    ] = ""
    pay_utilities_secret: Annotated[
        SecretStr, Field(description="The HMAC-SHA256 key that signs our calls to the bill API.")
    ] = SecretStr("")
    pay_utilities_timeout_s: Annotated[
        float, Field(gt=0, le=30, description="Seconds to wait for the bill API's answer.")
    ] = 5.0
    pay_order_timeout_s: Annotated[
        int,
        Field(
            ge=30,
            le=3600,
            description="Seconds an order waits for the citizen to pay; then it is closed at "
            "the channel (the citizen can no longer pay it) and at the kiosk.",
        ),
    ] = 300
    pay_sweep_interval_s: Annotated[
        float,
        Field(
            gt=0,
            le=600,
            description="Seconds between sweeps that close timed-out orders, ask the channel "
            "about orders whose notification is late, and retry failed bill write-backs.",
        ),
    ] = 10.0
    pay_notify_base_url: Annotated[
        str,
        Field(
            description="Public base URL the payment gateways post their notifications to "
            "(…/api/v1/pay/notify/{channel}); empty: the cloud's public URL."
        ),
    ] = ""
