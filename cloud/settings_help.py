"""The settings as an operator reads them: ``kfleet cloud run --help`` and ``docs/settings.md``
are both made from :class:`~cloud.settings.Settings` here, so neither can miss a setting
(``tests/unit/test_settings_doc.py`` checks both)."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from cloud.settings import Settings


class SettingRow(NamedTuple):
    """One setting as ``kfleet cloud run --help`` and ``docs/settings.md`` show it."""

    name: str
    env: str
    type: str
    default: str
    meaning: str


def setting_rows() -> list[SettingRow]:
    """Every setting, read from the :class:`Settings` model's fields and descriptions, so the
    help text and ``docs/settings.md`` can never miss one (``tests/unit/test_settings_doc.py``)."""
    return [
        SettingRow(name, f"KFLEET_{name.upper()}", _type(f), _default(f), f.description or "")
        for name, f in Settings.model_fields.items()
    ]


def _type(field: FieldInfo) -> str:
    """The field's type in words, with its bounds (``integer 1..100``, ``number > 0``)."""
    ann: Any = field.annotation
    optional = False
    if get_origin(ann) in (Union, types.UnionType):
        args = [a for a in get_args(ann) if a is not type(None)]
        ann, optional = args[0], len(args) < len(get_args(ann))
    if get_origin(ann) is Literal:
        text = " | ".join(str(a) for a in get_args(ann))
    else:
        names: dict[Any, str] = {
            Path: "path",
            str: "text",
            int: "integer",
            float: "number",
            bool: "true/false",
            SecretStr: "secret",
        }
        text = names.get(ann, str(ann))
    bounds = {type(m): m for m in field.metadata}
    low, high = bounds.get(annotated_types.Ge), bounds.get(annotated_types.Le)
    if low is not None and high is not None:
        text += f" {low.ge}..{high.le}"
    elif low is not None:
        text += f" >= {low.ge}"
    elif (gt := bounds.get(annotated_types.Gt)) is not None:
        text += f" > {gt.gt}" + (f", <= {high.le}" if high is not None else "")
    elif high is not None:
        text += f" <= {high.le}"
    return f"{text}, optional" if optional else text


def _default(field: FieldInfo) -> str:
    """The default as an operator would type it; never the placeholder secret itself."""
    value = field.default
    if isinstance(value, SecretStr):
        return "placeholder"
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if str(value) else "empty"


def epilog() -> str:
    """The settings part of ``kfleet cloud run --help``: one paragraph per setting."""
    lines = [
        "Settings: environment variables (or a .env file in the working directory); "
        "--host, --port and --demo override theirs. Full table: docs/settings.md."
    ]
    lines += [f"{r.env}={r.default} ({r.type}): {r.meaning}" for r in setting_rows()]
    return "\n\n".join(lines)
