"""自助填表 on the kiosk (docs/kiosk-forms.md): routes under ``/kiosk/api/forms/``.

- ``GET  /kiosk/api/forms`` — the forms citizens can fill (relayed)
- ``GET  /kiosk/api/forms/{code}`` — the definition; kept in the session for the checks
- ``POST /kiosk/api/forms/{code}/check`` ``{data}`` — the one validation
  (``protocols.eform_check.form_problems``) run here, with the ID card's fields put in from the
  card this session read (the browser never has them): answered even offline
- ``POST /kiosk/api/forms/{code}/handoff`` — a phone link from the cloud (手机扫码填表)
- ``GET  /kiosk/api/forms/handoff`` and ``.../handoff/qr.svg`` — its state and its QR code
- ``POST /kiosk/api/forms/{code}/print`` ``{data, request_id}`` — checked, then A4 via the cloud

The definition, the data and the phone link live in the session: a clear forgets them.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk.cloud_client import CloudUnreachable
from edge_agent.kiosk.guide_views import qr_svg
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, UNREACHABLE_EN, UNREACHABLE_ZH, error, relay
from protocols.eform import FormDef
from protocols.guide import CODE_RE

if TYPE_CHECKING:
    from protocols.eform_check import FormProblem

PREFIX = "/kiosk/api/forms"
CLOUD = "/api/v1/kiosk/forms"
#: the session's keys: the definition being filled, the data so far, the phone link
DEF_KEY, DATA_KEY, HANDOFF_KEY = "forms.def", "forms.data", "forms.handoff"
TIMEOUT_S = 15.0
_CODE = re.compile(CODE_RE)
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
UNKNOWN = (
    "没有找到这张表单，请返回重新选择。",
    "This form was not found: please go back and choose again.",
)


def card_for_form(card: Any) -> dict[str, str]:
    """The session's ``idcard`` as :func:`with_card` reads a card (``birth`` → ``birth_date``)."""
    if not isinstance(card, dict):
        return {}
    out = {k: str(v) for k, v in card.items() if k in ("name", "id_number", "sex", "address")}
    if card.get("birth"):
        out["birth_date"] = str(card["birth"])
    return out


def _problems(form: FormDef, full: dict[str, Any]) -> list[FormProblem]:
    """The one validation; its module (and jsonschema_rs, ~4 MB) is loaded with the first form
    a citizen fills, not with the agent."""
    from protocols.eform_check import form_problems

    return form_problems(form, full)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def shown_problems(
    form: FormDef, problems: list[FormProblem], full: dict[str, Any]
) -> list[dict[str, str]]:
    """The problems as the browser may see them. A field the ID card fills never echoes its
    value (a schema's own sentence may quote it): it says to read the card, or that the card
    does not fit the form."""
    from protocols.eform_check import FormProblem

    card = {f.key: f for f in form.fields() if f.from_card}
    out = []
    for p in problems:
        f = card.get(p.field)
        if f is not None and full.get(f.key) in (None, ""):
            p = FormProblem(
                f.key,
                f"请先刷身份证，{f.label}将自动填写。",
                f"Please read your ID card first: it fills {f.label_en or f.key}.",
            )
        elif f is not None:
            p = FormProblem(
                f.key,
                f"身份证上的{f.label}不符合本表要求，请到窗口办理。",
                f"The ID card's {f.label_en or f.key} does not fit this form: "
                "please go to a window.",
            )
        out.append({"field": p.field, "message": p.message, "message_en": p.message_en})
    return out


class FormsApi:
    def __init__(self, parts: KioskParts) -> None:
        self.parts = parts

    async def listing(self, request: Request) -> Response:
        return await relay(self.parts, "GET", CLOUD, timeout_s=TIMEOUT_S)

    async def definition(self, request: Request) -> Response:
        code = request.path_params["code"]
        if not _CODE.match(code):
            return error(404, "form_not_found", *UNKNOWN)
        answer = await relay(self.parts, "GET", f"{CLOUD}/{code}", timeout_s=TIMEOUT_S)
        if answer.status_code == 200:
            form = FormDef.model_validate_json(bytes(answer.body))
            held = self.parts.session.get(DEF_KEY)
            if not isinstance(held, FormDef) or held.code != form.code:
                self.parts.session.put(DATA_KEY, {})  # another form: start it empty
            self.parts.session.put(DEF_KEY, form)
        return answer

    def _form(self, code: str) -> FormDef | Response:
        form = self.parts.session.get(DEF_KEY)
        if not isinstance(form, FormDef) or form.code != code:
            return error(409, "form_not_open", "请先选择要填写的表单。", "Choose the form first.")
        return form

    def _full(self, form: FormDef, data: Any) -> dict[str, Any]:
        """The browser's data (fields the card fills replaced by the card's), kept."""
        from protocols.eform_check import with_card  # jsonschema_rs (~4 MB): when a form is filled

        typed = data if isinstance(data, dict) else {}
        self.parts.session.put(DATA_KEY, typed)
        return with_card(form, typed, card_for_form(self.parts.session.get("idcard")))

    async def check(self, request: Request) -> Response:
        form = self._form(request.path_params["code"])
        if isinstance(form, Response):
            return form
        full = self._full(form, (await _json_body(request)).get("data"))
        problems = shown_problems(form, _problems(form, full), full)
        body = {"code": form.code, "version": form.version, "problems": problems}
        return JSONResponse(body, headers=NO_STORE)

    async def print_form(self, request: Request) -> Response:
        form = self._form(request.path_params["code"])
        if isinstance(form, Response):
            return form
        body = await _json_body(request)
        full = self._full(form, body.get("data"))
        if problems := shown_problems(form, _problems(form, full), full):
            return JSONResponse(
                {
                    "code": "form_data_invalid",
                    "message": problems[0]["message"],
                    "message_en": problems[0]["message_en"],
                    "problems": problems,
                },
                status_code=422,
                headers=NO_STORE,
            )
        out: dict[str, Any] = {"data": full, "version": form.version}
        request_id = body.get("request_id")
        if isinstance(request_id, str) and REQUEST_ID.match(request_id):
            out["request_id"] = request_id
        return await relay(
            self.parts, "POST", f"{CLOUD}/{form.code}/print", json=out, timeout_s=TIMEOUT_S
        )

    async def hand_off(self, request: Request) -> Response:
        form = self._form(request.path_params["code"])
        if isinstance(form, Response):
            return form
        self._full(form, (await _json_body(request)).get("data"))
        try:
            r = await self.parts.cloud.call(
                "POST", f"{CLOUD}/{form.code}/handoffs", timeout_s=TIMEOUT_S
            )
        except CloudUnreachable:
            return error(503, "cloud_unreachable", UNREACHABLE_ZH, UNREACHABLE_EN)
        if r.status_code != 201:
            return Response(
                r.content, r.status_code, media_type="application/json", headers=NO_STORE
            )
        made = r.json()
        self.parts.session.put(
            HANDOFF_KEY, {"id": made["id"], "url": made["url"], "code": form.code}
        )
        body = {
            "id": made["id"],
            "expires_at": made["expires_at"],
            "qr": f"{PREFIX}/handoff/qr.svg?id={made['id']}",
        }
        return JSONResponse(body, status_code=201, headers=NO_STORE)

    def _handoff(self) -> dict[str, str] | None:
        held = self.parts.session.get(HANDOFF_KEY)
        return held if isinstance(held, dict) else None

    async def qr(self, request: Request) -> Response:
        held = self._handoff()
        if held is None:
            return Response(status_code=404, headers=NO_STORE)
        return Response(qr_svg(held["url"]), media_type="image/svg+xml", headers=NO_STORE)

    async def poll(self, request: Request) -> Response:
        held = self._handoff()
        if held is None:
            return error(
                404,
                "handoff_not_found",
                "没有进行中的手机填表。",
                "No phone hand-off is in progress.",
            )
        answer = await relay(
            self.parts, "GET", f"{CLOUD}/handoffs/{held['id']}", timeout_s=TIMEOUT_S
        )
        if answer.status_code == 200:
            got = _parsed(answer)
            if got.get("state") == "filled" and isinstance(got.get("data"), dict):
                merged = {**(self.parts.session.get(DATA_KEY) or {}), **got["data"]}
                self.parts.session.put(DATA_KEY, merged)
                self.parts.session.pop(HANDOFF_KEY)
                return JSONResponse({"state": "filled", "data": merged}, headers=NO_STORE)
            if got.get("state") == "expired":
                self.parts.session.pop(HANDOFF_KEY)
        return answer


def _parsed(answer: Response) -> dict[str, Any]:
    try:
        got = json.loads(bytes(answer.body))
    except ValueError:
        return {}
    return got if isinstance(got, dict) else {}


def routes(parts: KioskParts) -> list[BaseRoute]:
    api = FormsApi(parts)
    return [
        Route(PREFIX, api.listing, methods=["GET"]),
        Route(f"{PREFIX}/handoff", api.poll, methods=["GET"]),
        Route(f"{PREFIX}/handoff/qr.svg", api.qr, methods=["GET"]),
        Route(f"{PREFIX}/{{code}}", api.definition, methods=["GET"]),
        Route(f"{PREFIX}/{{code}}/check", api.check, methods=["POST"]),
        Route(f"{PREFIX}/{{code}}/handoff", api.hand_off, methods=["POST"]),
        Route(f"{PREFIX}/{{code}}/print", api.print_form, methods=["POST"]),
    ]
