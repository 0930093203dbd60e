"""手机扫码填表: the citizen's phone fills a form the kiosk handed over (docs/kiosk-forms.md).

- ``GET  /f/{token}`` — the mobile page (zh-CN, English on a tap); a spent link says so
- ``GET  /api/v1/phone/forms/{token}`` — the form to fill (no personal data in it)
- ``POST /api/v1/phone/forms/{token}/check`` — the same validation as the kiosk's
- ``POST /api/v1/phone/forms/{token}`` — send it back to the kiosk, once

Public (the token is the credential: random, single-use, short-lived, stored hashed). The ID
card's fields are not asked here: the kiosk fills them from the card when the data returns.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from cloud.api.enrollment import described
from cloud.api.forms_schemas import (
    CheckOut,
    PhoneFillIn,
    PhoneFillOut,
    PhoneFormOut,
    ProblemOut,
)
from cloud.api.kiosk_deps import KioskParts
from cloud.api.kiosk_forms import form_version
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.errors import KioskError
from cloud.kiosk.forms_desk import FormDesk
from cloud.kiosk.forms_handoff import phone_problems
from cloud.kiosk.parts import Kiosk

router = APIRouter(tags=["phone"], route_class=StrictJsonRoute)
TOKEN_RE = r"^[A-Za-z0-9_-]{20,64}$"
Token = Annotated[str, Path(pattern=TOKEN_RE, description="the phone link's token")]
_GONE = {
    404: "handoff_not_found: no such link",
    410: "handoff_gone: the link was used already or expired",
}
_GET_ERRORS = described(422, 500, said=_GONE)
_CHECK_ERRORS = described(400, 413, 422, 500, said=_GONE)
_FILL_ERRORS = described(
    400,
    413,
    500,
    said={**_GONE, 422: "form_data_invalid (citizen_message: the first problem), or a bad body"},
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the address: never pass it on
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
}


def _desk(kiosk: Kiosk) -> FormDesk:
    assert kiosk.form_desk is not None, "build_kiosk always builds the form desk"
    return kiosk.form_desk


def _page(body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>手机填表 · Fill in on your phone</title>"
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/console/forms_phone.css"></head>'
        f"<body>{body}</body></html>"
    )


@router.get("/f/{token}", include_in_schema=False, response_class=HTMLResponse)
async def phone_page(token: str, kiosk: KioskParts) -> HTMLResponse:
    """The mobile page; its script reads the form and sends it back."""
    try:
        await _desk(kiosk).handoffs.opened(token[:64])
    except KioskError as err:
        zh, en = err.citizen
        box = f'<main class="gone"><h1>{escape(zh)}</h1><p lang="en">{escape(en)}</p></main>'
        return HTMLResponse(_page(box), err.status_code, PAGE_HEADERS)
    shell = (
        '<main id="pf" aria-live="polite"><p>正在打开表单… Loading…</p></main>'
        '<script src="/console/forms_phone.js"></script>'
    )
    return HTMLResponse(_page(shell), 200, PAGE_HEADERS)


@router.get("/api/v1/phone/forms/{token}", response_model=PhoneFormOut, responses=_GET_ERRORS)
async def phone_form(token: Token, kiosk: KioskParts) -> PhoneFormOut:
    """The form this link fills, and until when the link holds."""
    code, version, expires_at = await _desk(kiosk).handoffs.opened(token)
    return PhoneFormOut(form=await form_version(kiosk, code, version), expires_at=expires_at)


@router.post("/api/v1/phone/forms/{token}/check", response_model=CheckOut, responses=_CHECK_ERRORS)
async def phone_check(token: Token, body: PhoneFillIn, kiosk: KioskParts) -> CheckOut:
    """The form's problems as the kiosk would find them (the ID card's fields aside)."""
    code, version, _ = await _desk(kiosk).handoffs.opened(token)
    form = await form_version(kiosk, code, version)
    problems = [ProblemOut.of(p) for p in phone_problems(form, body.data)]
    return CheckOut(code=code, version=version, problems=problems)


@router.post(
    "/api/v1/phone/forms/{token}",
    status_code=201,
    response_model=PhoneFillOut,
    responses=_FILL_ERRORS,
)
async def phone_fill(token: Token, body: PhoneFillIn, kiosk: KioskParts) -> PhoneFillOut:
    """Send the data back to the kiosk; the link is spent (410 afterwards)."""
    desk = _desk(kiosk)
    code, version, _ = await desk.handoffs.opened(token)
    form = await form_version(kiosk, code, version)
    await desk.handoffs.fill(token, form, body.data)
    return PhoneFillOut(state="filled")
