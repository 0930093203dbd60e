"""Checking a query's inputs against its declaration before any department is called."""

from __future__ import annotations

import re
from collections.abc import Mapping

from cloud.kiosk.departments.base import QueryDecl
from cloud.kiosk.errors import KioskError


class QueryInputInvalid(KioskError):
    status_code = 422
    code = "query_input_invalid"


def checked_inputs(decl: QueryDecl, given: Mapping[str, str]) -> dict[str, str]:
    """The declared inputs, trimmed; an unknown, missing or malformed one is refused with the
    field's own label in the citizen's sentence."""
    unknown = sorted(set(given) - {i.name for i in decl.inputs})
    if unknown:
        raise QueryInputInvalid(
            f"query {decl.code} takes no input {unknown}",
            "输入项有误，请返回重新填写。",
            "Something typed does not belong to this query. Please go back and fill it again.",
        )
    out: dict[str, str] = {}
    for spec in decl.inputs:
        value = str(given.get(spec.name, "")).strip()
        if not value:
            if spec.required:
                raise QueryInputInvalid(
                    f"input {spec.name} is required",
                    f"请填写“{spec.label}”。",
                    f"Please fill in “{spec.label_en}”.",
                )
            continue
        allowed = {o[0] for o in spec.options}
        bad = (spec.kind == "select" and value not in allowed) or (
            spec.pattern and re.fullmatch(spec.pattern, value) is None
        )
        if bad or len(value) > 64:
            raise QueryInputInvalid(
                f"input {spec.name} is not in the expected form",
                f"“{spec.label}”格式不正确，请检查后重新输入。",
                f"“{spec.label_en}” is not in the right form. Please check and type it again.",
            )
        out[spec.name] = value
    return out
