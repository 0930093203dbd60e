"""The OpenAPI document, finished where FastAPI's generation leaves it loose.

- **No NUL in any text**: the API refuses ``\\u0000`` in every string it takes (``nul_guard``,
  ``strict_json``), so every string schema without a pattern of its own gets ``^[^\\x00]*$``.
  A client (or a fuzzer) then knows a NUL is invalid, not a surprise 422.
- **Links**: from a created job or call to the operations that take its id, so a stateful
  client can follow them (``$response.body#/id``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

NO_NUL = r"^[^\x00]*$"
#: a string schema with one of these already says what it may hold
_PRECISE = ("pattern", "enum", "const", "format", "contentMediaType")

#: (path, method, status) of a creation → {link name: (path, method) of a user of its id}
_LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, str]]] = {
    ("/api/v1/jobs", "post", "201"): {
        "GetJob": ("/api/v1/jobs/{job_id}", "get", "job_id"),
        "GetJobEvents": ("/api/v1/jobs/{job_id}/events", "get", "job_id"),
        "CancelJob": ("/api/v1/jobs/{job_id}/cancel", "post", "job_id"),
        "ResolveJob": ("/api/v1/jobs/{job_id}/resolve", "post", "job_id"),
    },
}
_CALL_ACTIONS = "/api/v1/devices/{device_id}/peripherals/{peripheral}/actions/"
_CALL = "/api/v1/calls/{call_id}"


def forbid_nul(node: Any) -> None:
    """Give every loose string schema in ``node`` (recursively) the no-NUL pattern."""
    if isinstance(node, list):
        for item in node:
            forbid_nul(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "string" and not any(k in node for k in _PRECISE):
        node["pattern"] = NO_NUL
    for key, value in node.items():
        if key not in ("example", "examples", "default"):
            forbid_nul(value)


def _operation_id(doc: dict[str, Any], path: str, method: str) -> str:
    return str(doc["paths"][path][method]["operationId"])


def add_links(doc: dict[str, Any]) -> None:
    """Links from each creation to the operations that use the id it returns."""
    links = dict(_LINKS)
    for path in doc["paths"]:
        if path.startswith(_CALL_ACTIONS):
            links[(path, "post", "202")] = {
                "GetCall": ("/api/v1/calls/{call_id}", "get", "call_id")
            }
    for (path, method, status), targets in links.items():
        response = doc["paths"][path][method]["responses"][status]
        response["links"] = {
            name: {
                "operationId": _operation_id(doc, target, target_method),
                "parameters": {param: "$response.body#/id"},
            }
            for name, (target, target_method, param) in targets.items()
        }


def install_openapi(app: FastAPI) -> None:
    """``app.openapi()`` returns the finished document (built once, as FastAPI does)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = generate()
            forbid_nul(doc.get("paths", {}))
            forbid_nul(doc.get("components", {}))
            add_links(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
