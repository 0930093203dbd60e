"""Settings of the ICBC and CCB payment channels and of the daily reconciliation
(docs/pay-banks.md). Mixed into :class:`cloud.settings.Settings`. Keys come from here (the
environment or a secrets file), never from code."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class BankSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    icbc_gateway_url: Annotated[
        str,
        Field(
            description="Base URL of ICBC's API开放平台 gateway "
            "(e.g. https://gw.open.icbc.com.cn). "
            "Empty: the kiosk does not offer ICBC."
        ),
    ] = ""
    icbc_app_id: Annotated[str, Field(description="Our app id on ICBC's open platform.")] = ""
    icbc_mer_id: Annotated[str, Field(description="Our ICBC merchant number (mer_id).")] = ""
    icbc_store_code: Annotated[
        str, Field(description="The store code (store_code) ICBC gave the hall; may be empty.")
    ] = ""
    icbc_private_key: Annotated[
        SecretStr,
        Field(description="Our RSA private key (PEM) the requests are signed with (RSA2)."),
    ] = SecretStr("")
    icbc_gateway_public_key: Annotated[
        str,
        Field(description="ICBC's gateway public key (PEM): answers and notifications verify."),
    ] = ""
    ccb_gateway_url: Annotated[
        str,
        Field(
            description="Base URL of CCB's payment gateway (e.g. https://ibsbjstar.ccb.com.cn). "
            "Empty: the kiosk does not offer CCB."
        ),
    ] = ""
    ccb_extranet_url: Annotated[
        str,
        Field(
            description="URL of the CCB 商户外联平台 client (query, refund, statement); empty: "
            "ccb_gateway_url + /extranet (the simulator)."
        ),
    ] = ""
    ccb_merchant_id: Annotated[str, Field(description="CCB MERCHANTID (商户代码).")] = ""
    ccb_pos_id: Annotated[str, Field(description="CCB POSID (商户柜台代码).")] = ""
    ccb_branch_id: Annotated[str, Field(description="CCB BRANCHID (分行代码).")] = ""
    ccb_public_key: Annotated[
        str,
        Field(
            description="The merchant public key CCB hands out (hex DER): its last 30 characters "
            "enter the MAC, and CCB's notifications verify with it."
        ),
    ] = ""
    ccb_user_id: Annotated[
        str, Field(description="Operator id on the CCB 外联平台 client (USER_ID).")
    ] = ""
    ccb_password: Annotated[
        SecretStr, Field(description="That operator's password on the 外联平台 client.")
    ] = SecretStr("")
    bank_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            le=30,
            description="Seconds to wait for ICBC's or CCB's answer; the kiosk offers another "
            "way to pay after that.",
        ),
    ] = 5.0
    reconcile_hour: Annotated[
        int,
        Field(
            ge=0,
            le=23,
            description="Hall-time hour each day when yesterday is reconciled against every "
            "configured channel's statement file (docs/pay-banks.md).",
        ),
    ] = 9
