"""Texting citizens: one templated SMS through the gateway's HTTP API (the same API as the
alert channel, ``cloud.notify.channels.sms``; ``simulators/sms_gateway.py`` speaks it).

Citizens' texts are sent at once, not queued: a one-time code is useless a minute late, and
the kiosk must tell the citizen now whether the text went. ``request_id`` makes a retried send
harmless (the gateway sends an id once). The phone number is never logged whole.
"""

from __future__ import annotations

import logging

import httpx

from cloud.kiosk.errors import KioskError
from cloud.settings import Settings

log = logging.getLogger(__name__)


class SmsNotSent(KioskError):
    """A citizen's text could not be sent (code ``sms_unavailable`` or ``sms_refused``)."""

    status_code = 503
    code = "sms_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "短信暂时无法发送，请稍后再试，或到窗口办理。",
            "The text message cannot be sent now. Please try again later or go to a window.",
        )


class SmsRefused(SmsNotSent):
    status_code = 422
    code = "sms_refused"


def masked_phone(phone: str) -> str:
    """``138****5678``: enough for the citizen to recognise, useless to a bystander."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


class CitizenSms:
    """``await sms.send(phone, "KF_OTP", {"code": "123456", "minutes": "5"}, request_id)``."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.citizen_sms_url.rstrip("/")
        self._sign = settings.citizen_sms_sign
        key = settings.citizen_sms_key.get_secret_value()
        self._headers = {"Authorization": f"Bearer {key}"}
        self._http = httpx.AsyncClient(timeout=settings.citizen_sms_timeout_s, trust_env=False)

    @property
    def configured(self) -> bool:
        return bool(self.url)

    async def send(
        self, phone: str, template_id: str, params: dict[str, str], request_id: str
    ) -> str:
        """Send one text; the gateway's message id. Raises :class:`SmsNotSent`."""
        if not self.url:
            raise SmsNotSent(
                "no SMS gateway is configured (KFLEET_CITIZEN_SMS_URL), so the text cannot "
                "be sent; an administrator sets it (docs/kiosk.md)"
            )
        body = {
            "phone": phone,
            "sign_name": self._sign,
            "template_id": template_id,
            "params": params,
            "request_id": request_id,
        }
        try:
            r = await self._http.post(f"{self.url}/v1/sms/send", json=body, headers=self._headers)
        except httpx.HTTPError as err:
            log.warning("sms %s to %s: %s", template_id, masked_phone(phone), type(err).__name__)
            raise SmsNotSent(f"the SMS gateway did not answer ({type(err).__name__})") from err
        if r.status_code == 200:
            return str(r.json().get("message_id", ""))
        reason = _reason(r)
        log.warning("sms %s to %s refused: %s", template_id, masked_phone(phone), reason)
        if r.status_code in (400, 401, 403):
            raise SmsRefused(f"the SMS gateway refused the text: {reason}")
        raise SmsNotSent(f"the SMS gateway could not send the text now: {reason}")

    async def close(self) -> None:
        await self._http.aclose()


def _reason(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return f"HTTP {r.status_code}"
    return f"HTTP {r.status_code} {body.get('code', '')} {body.get('message', '')}".strip()
