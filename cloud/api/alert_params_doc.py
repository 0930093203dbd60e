"""The JSON schema of each rule kind's ``params``, for the OpenAPI document: exactly what
``fleet.alert_rules.parse_params`` accepts, so a client (or a fuzzer) that follows the
document is never refused. Validation itself stays in ``fleet`` (its errors name the field)."""

from __future__ import annotations

from typing import Any

from fleet.alert_rules import (
    JOB_SCOPES,
    METRIC_NAMES,
    OPS,
    PERIPHERAL_CONDITIONS,
    PRESENCE_STATES,
    RuleKind,
)
from fleet.media_monitor import STREAM_PURPOSES

_WORD = {"type": "string", "pattern": r"^[a-z0-9_]{1,32}$"}


def _number(lo: float, hi: float) -> dict[str, Any]:
    return {"type": "number", "minimum": lo, "maximum": hi}


def _words(allowed: Any) -> dict[str, Any]:
    return {"type": "array", "items": {"enum": sorted(allowed)}, "minItems": 1}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": list(required),
        "additionalProperties": False,
    }


PARAMS_SCHEMA: dict[RuleKind, dict[str, Any]] = {
    RuleKind.PRESENCE: _obj({"after_s": _number(0, 30 * 86400), "states": _words(PRESENCE_STATES)}),
    RuleKind.PERIPHERAL: _obj(
        {
            "conditions": _words(PERIPHERAL_CONDITIONS),
            "kinds": {"type": "array", "items": _WORD},
        }
    ),
    RuleKind.METRIC: _obj(
        {
            "name": {"enum": list(METRIC_NAMES)},
            "op": {"enum": list(OPS)},
            "threshold": _number(-1e12, 1e12),
            "absolute": {"type": "boolean"},
            "tags": {
                "type": "object",
                "propertyNames": _WORD,
                "additionalProperties": {
                    "type": "string",
                    "pattern": r"^[A-Za-z0-9_.:/-]{1,64}$",
                },
            },
        },
        ("name", "threshold"),
    ),
    RuleKind.JOB_FAILURE: _obj(
        {
            "window_s": _number(60, 30 * 86400),
            "min_jobs": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
            "rate": _number(0.000001, 1),
            "per": {"enum": list(JOB_SCOPES)},
        }
    ),
    RuleKind.STREAM_STALLED: _obj({"purposes": _words(STREAM_PURPOSES)}),
    RuleKind.ROLLOUT_HALTED: _obj({"within_s": _number(60, 30 * 86400)}),  # issue 17
}


def params_branches() -> list[dict[str, Any]]:
    """One ``oneOf`` branch per kind: ``kind`` const, ``params`` its schema (required where
    some parameter has no default)."""
    branches = []
    for kind, schema in PARAMS_SCHEMA.items():
        branch: dict[str, Any] = {"properties": {"kind": {"const": kind.value}, "params": schema}}
        if schema["required"]:
            branch["required"] = ["params"]
        branches.append(branch)
    return branches
