"""Every setting is documented where an operator looks: ``kfleet cloud run --help`` and
``docs/settings.md``. A new cloud setting without a description, or a new agent key missing
from the document, fails here.

The cloud table in docs/settings.md is generated from ``cloud.settings.Settings``; after
changing a setting, regenerate it with ``python tests/unit/test_settings_doc.py``.
"""

from __future__ import annotations

import json
import re
import sys
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from typer.testing import CliRunner

from cloud.settings import Settings
from cloud.settings_help import setting_rows
from edge_agent.config import AgentConfig
from kfleet.cli import app

SETTINGS_MD = Path(__file__).resolve().parents[2] / "docs" / "settings.md"
BEGIN = (
    "<!-- cloud settings: generated from cloud/settings.py by tests/unit/test_settings_doc.py -->"
)
END = "<!-- end of cloud settings -->"
#: defaults that are words, not values
WORDS = {"empty", "unset", "placeholder"}


def cloud_table() -> str:
    """The markdown table of every cloud setting, as docs/settings.md must hold it."""
    lines = [
        "| setting | environment variable | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for row in setting_rows():
        default = row.default if row.default in WORDS else f"`{row.default}`"
        kind = row.type.replace("|", "\\|")
        lines.append(f"| `{row.name}` | `{row.env}` | {kind} | {default} | {row.meaning} |")
    return "\n".join(lines)


def _section(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip()


def _collapse(text: str) -> str:
    return " ".join(text.split())


def test_every_cloud_setting_has_a_description() -> None:
    missing = [name for name, f in Settings.model_fields.items() if not f.description]
    assert not missing, f"settings without Field(description=...): {missing}"


def test_cloud_run_help_lists_every_setting_with_its_default() -> None:
    result = CliRunner().invoke(app, ["cloud", "run", "--help"])
    assert result.exit_code == 0, result.output
    shown = _collapse(result.output)
    for row in setting_rows():
        assert f"{row.env}={row.default}" in shown, f"{row.env} is missing from --help"
        assert _collapse(row.meaning) in shown, f"the meaning of {row.env} is cut in --help"
    assert len(setting_rows()) == len(Settings.model_fields)


def test_settings_md_holds_the_generated_cloud_table() -> None:
    text = SETTINGS_MD.read_text(encoding="utf-8")
    assert _section(text) == cloud_table(), (
        "docs/settings.md is out of date with cloud/settings.py: regenerate it with "
        "`python tests/unit/test_settings_doc.py`"
    )
    for name in Settings.model_fields:
        assert f"`KFLEET_{name.upper()}`" in text


# --- the agent's TOML keys ------------------------------------------------------------------


def toml_default(field: FieldInfo) -> str:
    """A field's default as the document shows it (inside backticks): TOML-like literals."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(str(value), ensure_ascii=False)


def _models(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models inside a (nested) annotation, e.g. the peripheral union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def agent_tables() -> dict[str, type[BaseModel]]:
    """Document heading token → model: ``top level``, ``[mqtt]``..., and each peripheral type."""
    tables: dict[str, type[BaseModel]] = {"top level": AgentConfig}
    for name, field in AgentConfig.model_fields.items():
        inner = _models(field.annotation)
        if typing.get_origin(field.annotation) is list:
            for model in inner:
                tables[typing.get_args(model.model_fields["type"].annotation)[0]] = model
        elif inner:
            tables[f"[{name}]"] = inner[0]
    return tables


def _keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The keys a table documents: scalars only (nested tables have sections of their own)."""
    return {
        name: f
        for name, f in model.model_fields.items()
        if name != "type" and not _models(f.annotation)
    }


def documented_agent_rows() -> list[tuple[list[str], dict[str, str]]]:
    """(heading tokens, {key: default cell}) of each ``###`` section after ``## Agent``."""
    text = SETTINGS_MD.read_text(encoding="utf-8").split("\n## Agent", 1)[1]
    text = text.split("\n## ", 1)[0]
    sections = []
    for chunk in text.split("\n### ")[1:]:
        heading, _, body = chunk.partition("\n")
        tokens = re.findall(r"`([^`]+)`", heading)
        if heading.lower().startswith("top level"):
            tokens.append("top level")
        rows = {}
        for line in body.splitlines():
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            if line.startswith("| `") and len(cells) >= 3:
                rows[cells[0].strip("`")] = cells[2].strip("`")
        sections.append((tokens, rows))
    return sections


def test_settings_md_lists_every_agent_key_with_its_default() -> None:
    tables, sections = agent_tables(), documented_agent_rows()
    problems = []
    for token, model in tables.items():
        for key, field in _keys(model).items():
            found = [rows[key] for tokens, rows in sections if token in tokens and key in rows]
            if not found:
                problems.append(f"{token}: {key} is not documented")
            elif found[0] != toml_default(field):
                problems.append(f"{token}: {key} shows {found[0]}, not {toml_default(field)}")
    for tokens, rows in sections:
        for token in (t for t in tokens if t in tables):
            stale = set(rows) - set(_keys(tables[token]))
            if stale:
                problems.append(f"{token}: documented keys that do not exist: {sorted(stale)}")
    assert not problems, "docs/settings.md (agent):\n" + "\n".join(problems)


def test_readme_points_to_the_settings_document() -> None:
    readme = (SETTINGS_MD.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "docs/settings.md" in readme


def main() -> None:
    """Rewrite the generated cloud table of docs/settings.md."""
    text = SETTINGS_MD.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    SETTINGS_MD.write_text(f"{text[:start]}\n{cloud_table()}\n{text[end:]}", encoding="utf-8")
    print(f"wrote {SETTINGS_MD}", file=sys.stderr)


if __name__ == "__main__":
    main()
