"""The webhook channel: the notice as JSON, POSTed with an HMAC-SHA256 signature.

Headers: ``X-Kfleet-Signature: t=<unix>,v1=<hex>`` over ``{t}.{body}`` (cloud.notify.signature)
and ``X-Kfleet-Notice-Key`` (the notice's key; redeliveries carry the same, so a receiver
drops them). Any 2xx is delivered.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from cloud.notify.channels.base import TemporaryFailure, http_failure
from cloud.notify.config import WebhookConfig
from cloud.notify.signature import HEADER, KEY_HEADER, sign


class WebhookChannel:
    kind = "webhook"

    def __init__(self, config: WebhookConfig, http: httpx.AsyncClient) -> None:
        self._config = config
        self._http = http
        self._secret = config.secret.get_secret_value().encode()

    @property
    def name(self) -> str:
        return self._config.name

    async def send(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            HEADER: sign(self._secret, int(time.time()), body),
            KEY_HEADER: str(payload["key"]),
            "User-Agent": "kfleet-notify/1",
        }
        try:
            r = await self._http.post(
                self._config.url, content=body, headers=headers, timeout=self._config.timeout_s
            )
        except httpx.TimeoutException:
            raise TemporaryFailure(
                f"webhook did not answer within {self._config.timeout_s} s"
            ) from None
        except httpx.HTTPError as err:
            # a webhook URL often carries its token (DingTalk, WeCom, Feishu robots): never
            # let it reach the record or a log line through the error's text
            detail = str(err).replace(self._config.url, "<url>")
            raise TemporaryFailure(f"webhook unreachable: {type(err).__name__}: {detail}") from None
        if not r.is_success:
            raise http_failure(r.status_code, "webhook", r.headers.get("retry-after"), r.text)
