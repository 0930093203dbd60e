"""The identity platform (统一身份认证平台): the phone on file for a citizen, so a one-time
code proves the person at the kiosk holds both the card and that phone.

One bounded HTTP call (``kiosk_identity_timeout_s``); every failure is one error with a
sentence for the citizen. The ID number, name and phone are never logged.
"""

from __future__ import annotations

import logging

import httpx

from cloud.kiosk.errors import KioskError, OutsideSystemError
from cloud.settings import Settings

log = logging.getLogger(__name__)
SYSTEM = "identity_platform"


class IdentityNotOnFile(KioskError):
    """The platform has no usable phone for this card: the citizen goes to a window."""

    status_code = 422
    code = "identity_not_on_file"


class IdentityUnavailable(OutsideSystemError):
    status_code = 503
    code = "identity_unavailable"


_UNAVAILABLE = (
    "身份核验服务暂时不可用，请稍后再试，或到窗口办理。",
    "The identity check is not available now. Please try again later or go to a window.",
)
_REFUSALS = {
    "1001": (
        "未查到您的实名登记信息，请到窗口办理查询。",
        "Your registration was not found. Please ask at a window.",
    ),
    "1002": (
        "身份证信息与登记信息不一致，请到窗口办理查询。",
        "The card does not match the registration. Please ask at a window.",
    ),
    "1003": (
        "您未在平台登记手机号码，无法发送验证码，请到窗口办理或登记手机号。",
        "No phone number is on file for you, so no code can be sent. Please ask at a window.",
    ),
}


class IdentityPlatform:
    """``await platform.phone_of(id_number, name)`` → the phone on file."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.kiosk_identity_url.rstrip("/")
        token = settings.kiosk_identity_token.get_secret_value()
        self._headers = {"Authorization": f"Bearer {token}"}
        self._http = httpx.AsyncClient(timeout=settings.kiosk_identity_timeout_s, trust_env=False)

    @property
    def configured(self) -> bool:
        return bool(self.url)

    async def phone_of(self, id_number: str, name: str) -> str:
        if not self.url:
            raise IdentityUnavailable(
                SYSTEM, "not configured (KFLEET_KIOSK_IDENTITY_URL)", *_UNAVAILABLE
            )
        body = {"idNo": id_number, "name": name}
        url = f"{self.url}/api/v2/person/contact"
        try:
            r = await self._http.post(url, json=body, headers=self._headers)
        except httpx.HTTPError as err:
            log.warning("identity platform: %s", type(err).__name__)
            raise IdentityUnavailable(
                SYSTEM, f"no answer ({type(err).__name__})", *_UNAVAILABLE
            ) from err
        return _phone(r)

    async def close(self) -> None:
        await self._http.aclose()


def _phone(r: httpx.Response) -> str:
    try:
        answer = r.json()
        code = str(answer.get("resultCode", ""))
    except (ValueError, AttributeError) as err:
        log.warning("identity platform: HTTP %s, not JSON", r.status_code)
        raise IdentityUnavailable(SYSTEM, f"HTTP {r.status_code}, not JSON", *_UNAVAILABLE) from err
    if r.status_code == 200 and code == "0000":
        mobile = (answer.get("data") or {}).get("mobile")
        if isinstance(mobile, str) and mobile.isdigit() and len(mobile) == 11:
            return mobile
        raise IdentityUnavailable(SYSTEM, "answer without a valid mobile", *_UNAVAILABLE)
    if r.status_code == 200 and code in _REFUSALS:
        log.info("identity platform refused: %s", code)
        raise IdentityNotOnFile(f"{SYSTEM}: refused {code}", *_REFUSALS[code])
    what = {401: "our token was refused", 503: "maintenance"}.get(r.status_code, "failed")
    log.warning("identity platform: HTTP %s %s (%s)", r.status_code, code, what)
    raise IdentityUnavailable(SYSTEM, f"HTTP {r.status_code} {code}: {what}", *_UNAVAILABLE)
