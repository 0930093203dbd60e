"""The simulated Alipay gateway's control API, for a simulator running by itself (``kfleet sim
alipay``): turn faults on and off and send notifications on demand, over HTTP on loopback.

- ``POST /_sim/faults`` ``{"stall_s": 3, "maintenance": true, "malformed": false,
  "wrong_answer_key": false, "notify_delay_s": 30, "notify_repeats": 2, "bills_same_day":
  true}`` (any subset) → the faults now in force;
- ``POST /_sim/notify`` ``{"out_trade_no": "…", "kind": "resend" | "forged-key" |
  "forged-amount" | "stranger", "notify_url": "…", "app_id": "…"}`` (the last two for
  ``stranger``) → 202.

Not Alipay's: it exists so that a person trying the demo can see a late, repeated or forged
notification handled. In-process tests set the attributes and call the methods directly.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

FAULTS: dict[str, type] = {
    "stall_s": float,
    "maintenance": bool,
    "malformed": bool,
    "wrong_answer_key": bool,
    "notify_delay_s": float,
    "notify_repeats": int,
    "bills_same_day": bool,
}


def add_control(app: web.Application, sim: Any) -> None:
    """The routes on ``app`` steering ``sim`` (an ``AlipayGatewaySim``: not imported here, it
    imports this module)."""

    async def faults(request: web.Request) -> web.Response:
        asked = await _object(request)
        for name, value in asked.items():
            kind = FAULTS.get(name)
            if kind is None or not _fits(value, kind):
                return web.json_response({"error": f"{name}: not a {kind or 'fault'}"}, status=422)
        for name, value in asked.items():
            setattr(sim, name, FAULTS[name](value))
        return web.json_response({name: getattr(sim, name) for name in FAULTS})

    async def notify(request: web.Request) -> web.Response:
        asked = await _object(request)
        number, kind = str(asked.get("out_trade_no", "")), asked.get("kind")
        if kind == "stranger":
            url, app_id = str(asked.get("notify_url", "")), str(asked.get("app_id", ""))
            if not url.startswith(("http://", "https://")) or not app_id:
                return web.json_response({"error": "notify_url and app_id needed"}, status=422)
            sim.send_stranger(url, app_id, number or "NOT-A-KNOWN-ORDER")
            return web.json_response({"sent": kind}, status=202)
        trade = sim.trade(number)
        if trade is None or not trade.notify_url:
            return web.json_response({"error": f"no trade {number!r}"}, status=404)
        if kind == "resend" and any(s.out_trade_no == number for s in sim.sent):
            sim.resend(number)
        elif kind in ("forged-key", "forged-amount"):
            sim.send_forged(number, str(kind).removeprefix("forged-"))
        else:
            return web.json_response({"error": f"kind {kind!r} (or nothing to resend)"}, status=422)
        return web.json_response({"sent": kind}, status=202)

    app.router.add_post("/_sim/faults", faults)
    app.router.add_post("/_sim/notify", notify)


async def _object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as err:
        raise web.HTTPUnprocessableEntity(text="a JSON object, please") from err
    if not isinstance(body, dict):
        raise web.HTTPUnprocessableEntity(text="a JSON object, please")
    return body


def _fits(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 3600
