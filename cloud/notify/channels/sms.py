"""The SMS/IM gateway channel: one templated message per number through a gateway's HTTP API.

The API (what Aliyun/Tencent-style gateways take, and ``simulators/sms_gateway.py`` speaks):
``POST {url}/v1/sms/send`` with ``Authorization: Bearer <api_key>`` and
``{"phone", "sign_name", "template_id", "params", "request_id"}``. 200 ``{"code": "OK"}``
is sent; 429 (a number's rate limit, with ``Retry-After``) and 5xx are worth retrying; 400
(unknown template, wrong params, bad number) and 401 are not. ``request_id`` is
``{notice key}:{phone}``: the gateway sends a repeated id once, so a retry after a partial
failure resends only to the numbers that did not get it.
"""

from __future__ import annotations

from typing import Any

import httpx

from cloud.notify.channels.base import (
    DeliveryFailure,
    PermanentFailure,
    TemporaryFailure,
    http_failure,
)
from cloud.notify.config import SmsConfig

#: longest template parameter the gateway takes (carriers cap variables' length)
PARAM_MAX = 60
_KIND_ZH = {
    "opened": "告警",
    "reminder": "告警未恢复",
    "acknowledged": "已确认",
    "resolved": "已恢复",
}


def template_params(payload: dict[str, Any]) -> dict[str, str]:
    """The template's variables: short, plain text (a carrier refuses long variables)."""
    return {
        "state": _KIND_ZH.get(str(payload["kind"]), str(payload["kind"])),
        "severity": str(payload["severity"]),
        "site": str(payload["site"])[:PARAM_MAX],
        "summary": str(payload["summary"])[:PARAM_MAX],
    }


class SmsChannel:
    kind = "sms"

    def __init__(self, config: SmsConfig, http: httpx.AsyncClient) -> None:
        self._config = config
        self._http = http
        self._auth = {"Authorization": f"Bearer {config.api_key.get_secret_value()}"}

    @property
    def name(self) -> str:
        return self._config.name

    async def send(self, payload: dict[str, Any]) -> None:
        failures: list[DeliveryFailure] = []
        for phone in self._config.numbers:
            try:
                await self._send_one(phone, payload)
            except DeliveryFailure as failure:
                failures.append(failure)
        temporary = [f for f in failures if isinstance(f, TemporaryFailure)]
        if temporary:
            waits = [f.retry_after_s for f in temporary if f.retry_after_s is not None]
            raise TemporaryFailure(
                "; ".join(str(f) for f in failures), max(waits) if waits else None
            )
        if failures:
            raise PermanentFailure("; ".join(str(f) for f in failures))

    async def _send_one(self, phone: str, payload: dict[str, Any]) -> None:
        cfg = self._config
        body = {
            "phone": phone,
            "sign_name": cfg.sign_name,
            "template_id": cfg.template_id,
            "params": template_params(payload),
            "request_id": f"{payload['key']}:{phone}",
        }
        what = f"SMS gateway for {_masked(phone)}"
        try:
            r = await self._http.post(
                f"{cfg.url.rstrip('/')}/v1/sms/send",
                json=body,
                headers=self._auth,
                timeout=cfg.timeout_s,
            )
        except httpx.TimeoutException:
            raise TemporaryFailure(f"{what} did not answer within {cfg.timeout_s} s") from None
        except httpx.HTTPError as err:
            raise TemporaryFailure(f"{what} unreachable: {type(err).__name__}") from None
        if not r.is_success:
            raise http_failure(r.status_code, what, r.headers.get("retry-after"), r.text)


def _masked(phone: str) -> str:
    """A phone number as logs may show it (personal data: docs/privacy.md)."""
    return phone[:3] + "****" + phone[-4:] if len(phone) > 7 else "****"
