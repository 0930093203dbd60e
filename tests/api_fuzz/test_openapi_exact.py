"""The OpenAPI document says exactly what the API takes — checked here without a server, so a
loose spot fails at once instead of waiting for the fuzzer to draw the value that shows it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud.app import create_app
from cloud.settings import Settings
from protocols.calls import ACTIONS

#: pydantic writes these when it cannot place a bound; JSON Schema ignores them, so the bound
#: is lost for every client (it happened: receipt ``copies`` said ``"le": 5``)
FOREIGN_KEYS = {"ge", "le", "gt", "lt"}
CALLS = "/api/v1/devices/{device_id}/peripherals/{peripheral}/actions/"


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir: Path = tmp_path_factory.mktemp("openapi")
    return create_app(Settings(demo=True, data_dir=data_dir)).openapi()


def schemas_in(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every dict below ``node`` that has a ``type``, with where it is."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from schemas_in(item, f"{where}/{i}")
    elif isinstance(node, dict):
        if isinstance(node.get("type"), str):
            yield where, node
        for key, value in node.items():
            if key not in ("example", "examples", "default"):
                yield from schemas_in(value, f"{where}/{key}")


def test_every_bound_is_json_schema(doc: dict[str, Any]) -> None:
    loose = [w for w, s in schemas_in(doc) if FOREIGN_KEYS & set(s)]
    assert not loose, loose


def test_every_string_says_what_it_may_hold(doc: dict[str, Any]) -> None:
    """A NUL is refused everywhere, so no string may be documented as 'any text'."""
    precise = ("pattern", "enum", "const", "format")
    loose = [
        w
        for w, s in schemas_in({"paths": doc["paths"], "components": doc["components"]})
        if s["type"] == "string" and not any(k in s for k in precise)
    ]
    assert not loose, loose


def test_ids_in_paths_have_patterns(doc: dict[str, Any]) -> None:
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    assert "pattern" in param["schema"] or "enum" in param["schema"], path


def test_each_call_action_has_its_route_and_body(doc: dict[str, Any]) -> None:
    for actions in ACTIONS.values():
        for action, model in actions.items():
            op = doc["paths"][f"{CALLS}{action}"]["post"]
            body = op["requestBody"]["content"]["application/json"]["schema"]
            ref = {"$ref": f"#/components/schemas/{model.__name__}"}
            assert body == ref or ref in body.get("anyOf", []), action
            assert "Location" in op["responses"]["202"]["headers"]
            assert "GetCall" in op["responses"]["202"]["links"]


def test_receipt_lines_must_name_their_type(doc: dict[str, Any]) -> None:
    for line in ("TextLine", "QrLine", "FeedLine"):
        assert doc["components"]["schemas"][line]["required"][0] == "type"


def test_blob_upload_documents_its_body(doc: dict[str, Any]) -> None:
    body = doc["paths"]["/api/v1/blobs/{sha256}"]["put"]["requestBody"]
    assert body["required"] is True
    assert {"application/octet-stream", "application/pdf", "image/jpeg"} <= set(body["content"])


def test_a_created_job_links_to_what_uses_its_id(doc: dict[str, Any]) -> None:
    links = doc["paths"]["/api/v1/jobs"]["post"]["responses"]["201"]["links"]
    assert set(links) == {"GetJob", "GetJobEvents", "CancelJob", "ResolveJob"}
    assert all(link["parameters"] == {"job_id": "$response.body#/id"} for link in links.values())
