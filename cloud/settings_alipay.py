"""Settings of the Alipay payment channel (docs/pay-alipay.md): the open-platform gateway, our
app and its keys. Mixed into :class:`cloud.settings.Settings`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class AlipaySettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    alipay_gateway_url: Annotated[
        str,
        Field(
            description="Alipay's open-platform gateway, e.g. "
            "https://openapi.alipay.com/gateway.do (the sandbox: "
            "https://openapi-sandbox.dl.alipaydev.com/gateway.do). Empty: the kiosk does not "
            "offer Alipay."
        ),
    ] = ""
    alipay_app_id: Annotated[
        str, Field(description="Our application's APPID on the Alipay open platform.")
    ] = ""
    alipay_app_private_key: Annotated[
        SecretStr,
        Field(
            description="Our app's RSA2 private key (requests are signed with it): PEM, or the "
            "one-line base64 the Alipay key tool writes."
        ),
    ] = SecretStr("")
    alipay_public_key: Annotated[
        str,
        Field(
            description="Alipay's public key (支付宝公钥) from the open platform's console: "
            "answers, notifications and nothing else are trusted with it. PEM or one-line "
            "base64."
        ),
    ] = ""
    alipay_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            le=30,
            description="Seconds to wait for the gateway's answer (and for a statement "
            "download); the kiosk says the channel is not available after that.",
        ),
    ] = 5.0
