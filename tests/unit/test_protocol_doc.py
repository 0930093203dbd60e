"""docs/protocol.md stays true to ``protocols/``: its example messages decode, every section
it points to exists, and every rejection reason the cloud counts is explained there."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from protocols import calls, jobs, messages
from protocols.envelope import Envelope, decode

DOCS = Path(__file__).resolve().parents[2] / "docs"
PROTOCOL = (DOCS / "protocol.md").read_text(encoding="utf-8")
CLOUD = Path(__file__).resolve().parents[2] / "cloud"


def _examples() -> list[str]:
    blocks = re.findall(r"```json\n(.*?)```", PROTOCOL, flags=re.S)
    return [b for b in blocks if b.lstrip().startswith('{"v":1')]


@pytest.mark.parametrize("block", _examples())
def test_example_envelopes_decode(block: str) -> None:
    env = decode(block.encode())
    assert env.type.value in ("cmd", "ack", "content")
    assert env.src.startswith("cloud-") or env.type.value == "ack"
    assert (env.corr is not None) == (env.type.value == "ack"), "corr is for acks only"


def test_there_are_examples() -> None:
    assert len(_examples()) >= 2


def test_every_section_reference_exists() -> None:
    sections = set(re.findall(r"^## (\d+)\.", PROTOCOL, flags=re.M))
    cited = set(re.findall(r"§(\d+)", PROTOCOL))
    assert cited <= sections, f"cited but missing: {sorted(cited - sections, key=int)}"


#: a literal reason counted in place: ``stats.reject("unknown_site", ...)``
COUNTED_LITERAL = re.compile(r"""\.(?:reject|ignore)\(\s*["']([a-z_]+)["']""")
#: a reason enum (``class AckRejection(StrEnum)``, ``class Ignored(StrEnum)``) and its body
REASON_ENUM = re.compile(r"^class \w*(?:Reject|Ignor)\w*\(StrEnum\):\n((?:[ \t]+.*\n|\n)*)", re.M)


def counted_reasons() -> set[str]:
    """Every reason the cloud counts at /api/v1/stats/bus, wherever it is spelled out."""
    counted: set[str] = set()
    for path in [*CLOUD.rglob("*.py"), *(CLOUD.parent / "fleet").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        counted |= set(COUNTED_LITERAL.findall(source))
        for body in REASON_ENUM.findall(source):
            counted |= set(re.findall(r"""^\s+[A-Z_]+ = ["']([a-z_]+)["']""", body, re.M))
    return counted


def test_every_reason_the_cloud_counts_is_documented() -> None:
    counted = counted_reasons()
    assert {"unknown_site", "duplicate_message"} <= counted, "has the counting API changed?"
    section = PROTOCOL.split("## 10. Rejections", 1)[1].split("\n## ", 1)[0]
    missing = sorted(r for r in counted if f"`{r}`" not in section)
    assert not missing, f"reasons counted by the cloud but not in protocol.md §10: {missing}"


def test_json_examples_of_results_parse() -> None:
    blocks = re.findall(r"```json\n(.*?)```", PROTOCOL, flags=re.S)
    for block in blocks:
        json.loads(block)


#: a length or range limit inside an annotation (``Optional[Annotated[int, Ge(ge=1)]]``)
LIMIT = re.compile(r"\b(?:MinLen|MaxLen|Ge|Le|Gt|Lt)\(")


def _bounded_fields() -> set[str]:
    """Names of the fields with a length, range or pattern limit in the wire models."""
    roots: list[type[BaseModel]] = [
        *(getattr(messages, n) for n in ("BirthBody", "StateBody", "TelemetryBody", "EventBody")),
        *(getattr(messages, n) for n in ("JobCancel", "PeripheralCall", "AckBody")),
        *(getattr(messages, n) for n in ("ButtonData", "RatingData", "IdCardReadData")),
        *jobs.PARAMS_FOR_KIND.values(),
        *(model for actions in calls.ACTIONS.values() for model in actions.values()),
        *messages.JobRunBase.__subclasses__(),
        Envelope,
    ]
    seen: set[type[BaseModel]] = set()
    names: set[str] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            if field.metadata or LIMIT.search(repr(field.annotation)):
                names.add(name)
            for inner in _nested(field.annotation):
                walk(inner)

    for root in roots:
        walk(root)
    return names


def _nested(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _nested(arg)]


def test_field_limits_table_names_every_bounded_field() -> None:
    section = PROTOCOL.split("## 16. Field limits", 1)[1]
    missing = sorted(n for n in _bounded_fields() if not re.search(rf"`(?:[\w.]+\.)?{n}`", section))
    assert not missing, f"fields with limits missing from protocol.md §16: {missing}"
