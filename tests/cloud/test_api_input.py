"""The REST API's input discipline: strict, bounded input, bodies limited before they are
parsed, one error shape for every error, and no request that ends in a bare 500."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.jobs import JobKind
from tests.cloudkit import running_cloud

HHL = "qh/hx/golmud/hhl"
API_MAX = 4096
Env = tuple[Parts, httpx.AsyncClient]


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=amqtt_url,
        demo=True,
        api_max_body_bytes=API_MAX,
        blob_max_bytes=64 * 1024,
    )
    async with running_cloud(settings) as pair:
        yield pair


def receipt_job(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "print_receipt",
        "target": {"site": HHL},
        "params": {"lines": [{"type": "text", "text": "取号 A001"}]},
        **extra,
    }


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """``r`` is an error in the one shape; returns its body."""
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"status", "code", "message", "errors"}, body
    assert body["status"] == status and body["code"] == code, body
    assert isinstance(body["message"], str) and len(body["message"]) > 20, body
    if code == "validation_error":
        assert body["errors"], body
        for item in body["errors"]:
            assert set(item) == {"loc", "msg", "type"}, item  # never input or ctx
    else:
        assert body["errors"] == [], body
    return body


def locs(body: dict[str, Any]) -> list[list[str | int]]:
    return [e["loc"] for e in body["errors"]]


async def test_nan_ttl_is_a_422_not_a_500(env: Env) -> None:
    _, http = env
    raw = '{"kind": "print_receipt", "target": {"site": "qh"}, "params": {}, "ttl_s": NaN}'
    r = await http.post("/api/v1/jobs", content=raw, headers={"content-type": "application/json"})
    body = assert_error(r, 422, "validation_error")
    assert ["body", "ttl_s"] in locs(body)
    assert "finite number" in body["errors"][0]["msg"]
    json.loads(r.text, parse_constant=pytest.fail)  # the answer itself is standard JSON


@pytest.mark.parametrize(
    ("field", "literal"),
    [
        ("ttl_s", "true"),
        ("ttl_s", "1.5"),
        ("ttl_s", '"60"'),
        ("ttl_s", "Infinity"),
        ("ttl_s", "1e400"),
        ("max_attempts", "true"),
        ("max_attempts", '"2"'),
        ("max_attempts", "2.5"),
    ],
)
async def test_numbers_are_strict(env: Env, field: str, literal: str) -> None:
    _, http = env
    raw = json.dumps(receipt_job(**{field: 0}), ensure_ascii=False)
    raw = raw.replace(f'"{field}": 0', f'"{field}": {literal}')
    r = await http.post("/api/v1/jobs", content=raw, headers={"content-type": "application/json"})
    assert ["body", field] in locs(assert_error(r, 422, "validation_error"))


@pytest.mark.parametrize(
    "literal", ["NaN", "Infinity", "-Infinity", "1e400", '"\\ud800"', '"a\\udfffb"']
)
async def test_bodies_are_standard_json_even_in_free_form_params(env: Env, literal: str) -> None:
    """A NaN or a lone surrogate inside ``params`` was stored and sent on, and every later
    answer holding the job (the job list too) failed to serialise: a 500 for good."""
    _, http = env
    raw = json.dumps(receipt_job(params={"lines": [{"type": "text", "text": "A"}], "x": 0}))
    raw = raw.replace('"x": 0', f'"x": {literal}')
    r = await http.post("/api/v1/jobs", content=raw, headers={"content-type": "application/json"})
    body = assert_error(r, 422, "validation_error")
    assert body["errors"][0]["type"] == "json_invalid"
    assert locs(body) == [["body", "params", "x"]]
    assert "surrogate" in body["message"] or "finite number" in body["message"]
    listed = await http.get("/api/v1/jobs")
    assert listed.status_code == 200 and listed.json()["total"] == 0


async def test_integral_floats_are_integers_as_in_json_schema(env: Env) -> None:
    _, http = env
    r = await http.post(f"/api/v1/blobs/{'0' * 64}/tokens", json={"op": "get", "ttl_s": 60.0})
    assert r.status_code == 200, r.text


async def test_blob_token_ttl_is_strict(env: Env) -> None:
    _, http = env
    digest = "0" * 64
    r = await http.post(f"/api/v1/blobs/{digest}/tokens", json={"op": "get", "ttl_s": True})
    assert ["body", "ttl_s"] in locs(assert_error(r, 422, "validation_error"))


async def test_blank_names_and_ids_are_refused(env: Env) -> None:
    _, http = env
    site = {"parent": "qh/hx/golmud", "code": "blank", "name": " \t ", "level": "village"}
    r = await http.post("/api/v1/sites", json=site)
    assert ["body", "name"] in locs(assert_error(r, 422, "validation_error"))
    r = await http.post("/api/v1/sites", json={**site, "name": "某村", "code": "   "})
    assert ["body", "code"] in locs(assert_error(r, 422, "validation_error"))
    for target in ({"device_id": "  "}, {"site": " "}):
        r = await http.post("/api/v1/jobs", json={**receipt_job(), "target": target})
        assert_error(r, 422, "validation_error")
    # names are stored trimmed
    r = await http.post("/api/v1/sites", json={**site, "code": "trim", "name": "  某村 "})
    assert r.status_code == 201 and r.json()["name"] == "某村"


async def test_huge_offset_is_a_422_and_the_largest_allowed_works(env: Env) -> None:
    _, http = env
    r = await http.get("/api/v1/jobs", params={"offset": str(2**63)})
    assert ["query", "offset"] in locs(assert_error(r, 422, "validation_error"))
    r = await http.get("/api/v1/jobs", params={"offset": str(2**31 - 1)})
    assert r.status_code == 200 and r.json()["items"] == []


@pytest.mark.parametrize(
    ("path", "query"),
    [("/api/v1/jobs", {"limit": limit}) for limit in ("0", "501", str(2**63))]
    + [(f"/api/v1/jobs/{'0' * 32}", {"wait_s": w}) for w in ("nan", "inf", "-inf", "true", "61")]
    + [(f"/api/v1/calls/call-{'0' * 32}", {"wait_s": w}) for w in ("nan", "-1", "61")],
)
async def test_limit_and_wait_out_of_bounds_are_a_422(
    env: Env, path: str, query: dict[str, str]
) -> None:
    _, http = env
    (name,) = query
    body = assert_error(await http.get(path, params=query), 422, "validation_error")
    assert locs(body) == [["query", name]]


async def test_resolve_with_an_unknown_action_is_a_422_naming_the_actions(env: Env) -> None:
    _, http = env
    r = await http.post(f"/api/v1/jobs/{'0' * 32}/resolve", json={"action": "print"})
    body = assert_error(r, 422, "validation_error")
    assert locs(body) == [["body", "action"]]
    assert "'reprint', 'done' or 'fail'" in body["errors"][0]["msg"]


class Pulled:
    """A request body that counts how much of it the server has read."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.read = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.read < self.total:
            self.read += self.chunk
            yield b" " * self.chunk


async def test_oversized_body_is_refused_before_it_is_read(env: Env) -> None:
    _, http = env
    twenty_mb = 20 * 1024 * 1024
    body = Pulled(twenty_mb)
    headers = {"content-type": "application/json", "content-length": str(twenty_mb)}
    r = await http.post("/api/v1/jobs", content=body, headers=headers)
    message = assert_error(r, 413, "payload_too_large")["message"]
    assert f"more than the {API_MAX} bytes" in message and "KFLEET_API_MAX_BODY_BYTES" in message
    assert body.read == 0
    # streamed (chunked, no length): stopped at the first chunk past the limit
    body = Pulled(twenty_mb, chunk=1024)
    r = await http.post("/api/v1/jobs", content=body, headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")
    assert body.read <= API_MAX + 1024


async def test_blob_uploads_keep_their_own_larger_limit(env: Env) -> None:
    _, http = env
    data = b"%PDF-1.4 " + b"x" * (4 * API_MAX)  # far over the API limit, under the blob one
    digest = hashlib.sha256(data).hexdigest()
    token = (await http.post(f"/api/v1/blobs/{digest}/tokens", json={"op": "put"})).json()
    r = await http.put(f"/api/v1/blobs/{digest}", params={"token": token["token"]}, content=data)
    assert r.status_code == 201, r.text
    streamed = b"%PDF-1.4 " + b"z" * (4 * API_MAX)
    digest = hashlib.sha256(streamed).hexdigest()
    token = (await http.post(f"/api/v1/blobs/{digest}/tokens", json={"op": "put"})).json()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(streamed), 1000):
            yield streamed[i : i + 1000]

    r = await http.put(
        f"/api/v1/blobs/{digest}", params={"token": token["token"]}, content=chunks()
    )
    assert r.status_code == 201, r.text
    big = b"y" * (64 * 1024 + 1)
    r = await http.put(f"/api/v1/blobs/{hashlib.sha256(big).hexdigest()}", content=big)
    assert "KFLEET_BLOB_MAX_BYTES" in assert_error(r, 413, "payload_too_large")["message"]


async def test_every_error_has_the_one_shape(env: Env) -> None:
    _, http = env
    assert_error(await http.get(f"/api/v1/jobs/{'0' * 32}"), 404, "not_found")
    assert_error(await http.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(await http.get("/redoc"), 404, "not_found")
    r = await http.delete("/api/v1/sites")
    assert "use GET, POST" in assert_error(r, 405, "method_not_allowed")["message"]
    assert r.headers["allow"] == "GET, POST"  # both routes of the path
    site = {"parent": "qh/hx/golmud", "code": "dup", "name": "某村", "level": "village"}
    assert (await http.post("/api/v1/sites", json=site)).status_code == 201
    assert_error(await http.post("/api/v1/sites", json=site), 409, "conflict")
    r = await http.post("/api/v1/jobs", content=b"{", headers={"content-type": "application/json"})
    assert_error(r, 422, "validation_error")
    r = await http.get("/api/v1/blobs/" + "0" * 64, params={"token": f"1.{'A' * 43}"})
    assert_error(r, 403, "forbidden")
    # a job's params are checked against its kind: same shape, the field named
    r = await http.post("/api/v1/jobs", json=receipt_job(params={"lines": []}))
    assert ["body", "params", "lines"] in locs(assert_error(r, 422, "validation_error"))


async def test_an_unexpected_error_is_a_logged_500_in_the_one_shape(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from cloud.api.http_layer import install_http_layer

    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the disk fell out")

    install_http_layer(app, Settings(data_dir=tmp_path, demo=True))
    transport = httpx.ASGITransport(app=app)  # raises whatever escapes the app
    with caplog.at_level(logging.ERROR, logger="cloud.api.errors"):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.get("/boom")
    body = assert_error(r, 500, "internal_error")
    assert "the disk fell out" not in body["message"]  # internals stay in the log
    assert "RuntimeError: the disk fell out" in caplog.text  # with its traceback


async def test_the_openapi_document_declares_every_error(env: Env) -> None:
    _, http = env
    doc = (await http.get("/openapi.json")).json()
    assert "ErrorBody" in doc["components"]["schemas"]
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    # the bounds a client (or a fuzzer) must respect are in the document
    ttl = schemas["BlobTokenIn"]["properties"]["ttl_s"]
    assert (ttl["type"], ttl["minimum"], ttl["maximum"]) == ("integer", 1, 3600)
    # what params each job kind takes; never the fields the cloud fills in itself
    branches = {b["properties"]["kind"]["const"]: b for b in schemas["JobCreate"]["oneOf"]}
    assert set(branches) == {k.value for k in JobKind}
    receipt = branches["print_receipt"]["properties"]["params"]
    assert receipt["required"] == ["lines"] and receipt["additionalProperties"] is False
    for kind in ("snapshot", "scan", "print_document"):
        params = branches[kind]["properties"]["params"]["properties"]
        assert not {"uploads", "fetch"} & set(params), kind
    name = schemas["SiteCreate"]["properties"]["name"]
    # blank names are not valid, nor any text holding a NUL
    assert (name["minLength"], name["pattern"]) == (1, r"^[^\x00]*[^\x00\s][^\x00]*$")
    assert {"type": "integer", "minimum": 1, "maximum": 20} in schemas["JobCreate"]["properties"][
        "max_attempts"
    ]["anyOf"]
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    health = {"$ref": "#/components/schemas/HealthOut"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            responses = op["responses"]
            where = f"{method.upper()} {path}"
            assert "500" in responses, where
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in responses, where
            if op.get("requestBody"):
                assert "413" in responses, where
            for status, answer in responses.items():
                if where == "GET /healthz" and status == "503":  # a health report, not an error
                    assert answer["content"]["application/json"]["schema"] == health, where
                elif where == "GET /readyz" and status == "503":  # likewise, with the reasons
                    ready = {"$ref": "#/components/schemas/ReadyOut"}
                    assert answer["content"]["application/json"]["schema"] == ready, where
                elif where == "POST /api/v1/auth/login" and status == "423":
                    # the error shape plus ``until``: when the lock-out ends
                    locked = {"$ref": "#/components/schemas/LockedBody"}
                    assert answer["content"]["application/json"]["schema"] == locked, where
                    assert set(schemas["ErrorBody"]["properties"]) < set(
                        schemas["LockedBody"]["properties"]
                    )
                elif int(status) >= 400:
                    assert answer["content"]["application/json"]["schema"] == ref, where


@pytest.mark.parametrize(
    "text",
    ["cut\x1dV\x00here", "drawer\x1bp\x00\x19\xfa", "reset\x1b@", "nul\x00", "c1\x9b"],
    ids=["GS V", "ESC p", "ESC @", "NUL", "CSI"],
)
async def test_control_characters_in_printed_text_are_a_422_naming_the_field(
    env: Env, text: str
) -> None:
    _, http = env
    lines = [{"type": "text", "text": "取号 A001"}, {"type": "text", "text": text}]
    r = await http.post("/api/v1/jobs", json=receipt_job(params={"lines": lines}))
    body = assert_error(r, 422, "validation_error")
    # a NUL is refused for every text field before the models see it (the database stores
    # none); any other control character by the printed-text rule (its loc has the union tag)
    nul = "\x00" in text
    field = ["body", "params", "lines", 1, "text"] + ([] if nul else ["text"])
    assert locs(body) == [field]
    assert ("NUL" if nul else "control character") in body["errors"][0]["msg"]
    assert "params.lines.1.text" in body["message"]
    assert (await http.get("/api/v1/jobs")).json()["total"] == 0  # nothing queued


async def test_path_ids_are_bounded_like_wire_ids(env: Env) -> None:
    """An id longer than any on the wire is a 422 in the one error shape, not a lookup."""
    _, api = env
    long_id = "j" * 65
    for path in (
        f"/api/v1/jobs/{long_id}",
        f"/api/v1/devices/{long_id}",
        f"/api/v1/calls/{long_id}",
    ):
        r = await api.get(path)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("method", "path", "loc"),
    [
        ("GET", "/api/v1/devices?site=a%00b", ["query", "site"]),
        ("GET", "/api/v1/jobs?device=a%00b", ["query", "device"]),
        ("GET", "/api/v1/jobs/a%00b", ["path"]),
        ("GET", "/api/v1/calls/a%00b", ["path"]),
    ],
)
async def test_a_nul_in_a_path_or_query_is_a_422(
    env: Env, method: str, path: str, loc: list[str]
) -> None:
    """PostgreSQL stores no NUL in text: one reaching a lookup was a 500 there."""
    _, http = env
    body = assert_error(await http.request(method, path), 422, "validation_error")
    assert locs(body) == [loc]
    assert "NUL" in body["errors"][0]["msg"]


async def test_a_nul_in_any_body_text_is_a_422_naming_the_field(env: Env) -> None:
    _, http = env
    raw = (
        '{"kind": "print_receipt", "target": {"site": "qh/hx/golmud/hhl"}, '
        '"idempotency_key": "k\\u0000", "params": {"lines": [{"type": "text", "text": "A"}]}}'
    )
    r = await http.post("/api/v1/jobs", content=raw, headers={"content-type": "application/json"})
    body = assert_error(r, 422, "validation_error")
    assert ["body", "idempotency_key"] in locs(body)
    r = await http.get("/api/v1/jobs")
    assert r.json()["total"] == 0  # nothing was stored
