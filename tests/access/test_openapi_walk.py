"""No endpoint is reachable without credentials, except an explicit, reasoned allow-list.

The walk takes every operation of the OpenAPI document and every route the document leaves
out (``app.routes``), calls each with no credentials at all, and expects 401
``no_credentials`` — so a route added without ``require(...)`` fails here at once. The
document must also say so: every operation not allow-listed declares a security requirement
(and its 401 answer), so clients and the fuzzer know what to send.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Route

from cloud.api.console import PAGES
from tests.access.kit import AccessCloud

#: (method, path template) → why it answers without credentials
ALLOWED: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "load balancers and service managers probe it; it says only ok/degraded",
    ("GET", "/readyz"): "load balancers probe it; it says only ready or not and which part is down",
    ("GET", "/metrics"): "Prometheus scrapes it with KFLEET_METRICS_TOKEN as a bearer token, or "
    "from loopback when no token is set (tests/ops/test_probes.py checks both refusals)",
    ("GET", "/api/v1/blobs/{sha256}"): "a capability URL: the short-lived get token in the query "
    "(minted with jobs.read, or by the cloud for a print job's device) authorises it",
    ("PUT", "/api/v1/blobs/{sha256}"): "a capability URL: a put token (minted with blobs.write) or "
    "a running job's upload grant authorises it; credentials only name the audit row's actor",
    ("GET", "/openapi.json"): "the API's description holds no fleet data; clients need it first",
    ("GET", "/docs"): "Swagger UI page (vendored): no data, every call from it needs a token",
    ("GET", "/docs/assets/{name}"): "Swagger UI's script, stylesheet and icon",
    ("GET", "/console/{name}"): "the console's scripts and stylesheets: no data",
    ("GET", "/console/vendor/{lib}/{name}"): "vendored libraries of the console (uPlot): no data",
    ("POST", "/api/v1/enroll"): "a device without credentials yet: the one-time enrollment "
    "token in the body authorises it (single use, expiring, scoped to a site and role)",
    ("POST", "/api/v1/auth/login"): "the login itself: username and password in the body",
    ("GET", "/r/{token}"): "the phone rating page of a citizen's QR code: the signed, expiring "
    "token in the path is the only authority (tests/hall/test_ratings_api.py: forged, expired)",
    ("POST", "/r/{token}"): "a citizen's rating from that page: the signed token authorises one "
    "rating, once (a reused token is refused 409)",
    ("GET", "/t/{token}"): "a queue ticket's phone page: the signed token printed as a QR on "
    "the ticket names one ticket and expires at the end of the hall's day",
    ("POST", "/api/v1/pay/notify/{channel}"): "a payment gateway's asynchronous notification: "
    "the channel's signature check is the only authority; a forged one is refused 400 and "
    "logged (tests/kiosk/test_pay_orders.py)",
    ("GET", "/g/{code}"): "a service guide item's phone page (the QR on the kiosk and the "
    "printed guide): the published catalogue is public information, nothing personal",
    ("GET", "/v/{token}"): "a printed certificate's verification page (its QR code): anyone "
    "holding the paper may check it is genuine; the sealed token names one certificate and the "
    "page shows its holder masked",
    ("GET", "/f/{token}"): "the phone page of a form handed off by a kiosk (手机扫码填表): the "
    "random single-use, short-lived token of the kiosk's QR code is the only authority",
    ("GET", "/api/v1/phone/forms/{token}"): "the form that phone page fills: the hand-off "
    "token authorises it (tests/forms/test_forms_api.py: spent, expired, unknown)",
    ("POST", "/api/v1/phone/forms/{token}/check"): "the phone page's check of its data: the "
    "hand-off token authorises it, nothing is stored",
    ("POST", "/api/v1/phone/forms/{token}"): "the phone page sends the form back to its kiosk: "
    "the hand-off token authorises it once (a spent token is refused 410)",
    **{
        ("GET", page): "a console page: static HTML without data; its script sends a signed-out "
        "browser to /login, and everything it shows comes from authenticated API calls"
        for page in PAGES
    },
}
#: public routes other branches add (login, the enrollment exchange); move each into ALLOWED
#: when it lands — the walk then proves nothing else is open
PLANNED: dict[tuple[str, str], str] = {}
#: routes whose callers hold another credential than a person's or a device's: the code their
#: refusal without it carries
OTHER_CREDENTIAL = {
    ("POST", "/api/v1/broker/authn"): "bad_hook_secret",  # the broker's X-Kfleet-Hook-Secret
    ("POST", "/api/v1/broker/authz"): "bad_hook_secret",
}
#: a well-formed value for each path parameter (the walk must get past no validation but auth)
SAMPLES = {
    "device_id": "walk-kiosk",
    "peripheral": "btn",
    "action": "dance",
    "job_id": "0" * 32,
    "call_id": "call-" + "0" * 32,
    "recording_id": "rec-" + "0" * 24,
    "sha256": "0" * 64,
    "name": "shell.js",
    "token_id": "0" * 16,
    "username": "walk-user",
    "role": "proof",
    "path": "qh/hx/golmud",
    "lib": "uplot",
    "alert_id": "1",
    "rule_id": "1",
    "silence_id": "1",
    "staff_no": "S1",  # issue 13: hall staff
    "kind": "floorplan",  # issue 13: hall content
    "version": "1",  # issue 14: a catalogue publication
    "rating_id": "1",
    "code": "a",  # issue 13: a hall queue or service code
    "number": "1",  # a hall window
    "ticket_id": "1",
    "fu_id": "1",
    "case_no": "GEM209901010001",  # issue 14: a case of the city platform
    "token": "eyJzaXRlIjoicWgifQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "ref": "Y261208-0001",  # issue 14: an appointment
    "run_id": "0" * 32,  # issue 15: a reconciliation run
    "handoff_id": "0" * 32,  # issue 15: a form's phone hand-off
    "utility": "water",  # issue 15: 生活缴费
    "order_id": "0" * 32,  # issue 15: a payment order
    "channel": "alipay",  # issue 15: a payment channel's notify endpoint
    "record_id": "1",  # issue 15: a print audit record
    "stream_id": "mon-walk-kiosk",  # issue 16: a media stream
    "session_id": "0" * 24,  # issue 16: a WHIP/WHEP session
    "material_id": "id_card",  # issue 16: a material in a help call
    "n": "1",  # issue 16: a page of it
    "rollout_id": "ro-" + "0" * 24,  # issue 17: a staged rollout
}
PARAM = re.compile(r"\{([a-z_]+)\}")


def concrete(path: str) -> str:
    missing = [p for p in PARAM.findall(path) if p not in SAMPLES]
    assert not missing, f"{path}: add a sample value for {missing} to SAMPLES"
    return PARAM.sub(lambda m: SAMPLES[m[1]], path)


def routes_of(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, str]]:
    """(method, path) of each route, into included routers (FastAPI 0.165 keeps an included
    router as one entry holding ``original_router``; our routers are included without a
    prefix of their own, so their routes' paths are whole)."""
    for route in routes:
        if isinstance(route, APIRoute | Route):
            # path_format: "{path}" where the route converts it ("{path:path}"), as the document
            yield from ((m, route.path_format) for m in route.methods or () if m != "HEAD")
        elif (inner := getattr(route, "original_router", None)) is not None:
            yield from routes_of(inner.routes)
        else:
            raise AssertionError(f"the walk does not know routes like {route!r}: teach it")


def every_route(cloud: AccessCloud) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, in the document or not."""
    doc: dict[str, Any] = cloud.app.openapi()
    documented = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    found = set(routes_of(cloud.app.routes))
    assert documented <= found, f"the walk misses documented routes: {documented - found}"
    return found


async def test_every_route_refuses_a_caller_without_credentials(cloud: AccessCloud) -> None:
    routes = every_route(cloud)
    assert len(routes) > 20, routes
    anon = await cloud.client()
    open_routes = []
    for method, path in sorted(routes - ALLOWED.keys() - PLANNED.keys()):
        r = await anon.request(method, concrete(path))
        expected = OTHER_CREDENTIAL.get((method, path), "no_credentials")
        if r.status_code != 401 or r.json().get("code") != expected:
            open_routes.append(f"{method} {path} -> {r.status_code} {r.text[:120]}")
    assert not open_routes, "reachable without credentials:\n" + "\n".join(open_routes)


async def test_the_allow_list_names_only_routes_that_exist(cloud: AccessCloud) -> None:
    stale = ALLOWED.keys() - every_route(cloud)
    assert not stale, f"allow-listed but gone (remove them): {stale}"
    assert all(len(reason) > 20 for reason in ALLOWED.values())


async def test_the_document_says_what_each_operation_needs(cloud: AccessCloud) -> None:
    doc: dict[str, Any] = cloud.app.openapi()
    schemes = set(doc["components"]["securitySchemes"])
    assert {"HTTPBearer", "APIKeyCookie"} <= schemes
    undeclared = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if (method.upper(), path) in ALLOWED:
                continue
            security = op.get("security") or []
            if not security or {} in security or "401" not in op["responses"]:
                undeclared.append(f"{method.upper()} {path}")
    assert not undeclared, f"operations that do not declare their credentials: {undeclared}"


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/openapi.json",
        "/console/shell.js",
        "/console/vendor/uplot/uPlot.min.css",
        *PAGES,
    ],
)
async def test_the_allowed_routes_answer_without_credentials(cloud: AccessCloud, path: str) -> None:
    anon = await cloud.client()
    assert (await anon.get(path)).status_code == 200
