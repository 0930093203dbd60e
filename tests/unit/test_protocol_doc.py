"""docs/protocol.md stays true to ``protocols/``: its example messages decode, every section
it points to exists, and every rejection reason the cloud counts is explained there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from protocols.envelope import decode

DOCS = Path(__file__).resolve().parents[2] / "docs"
PROTOCOL = (DOCS / "protocol.md").read_text(encoding="utf-8")
CLOUD = Path(__file__).resolve().parents[2] / "cloud"


def _examples() -> list[str]:
    blocks = re.findall(r"```json\n(.*?)```", PROTOCOL, flags=re.S)
    return [b for b in blocks if b.lstrip().startswith('{"v":1')]


@pytest.mark.parametrize("block", _examples())
def test_example_envelopes_decode(block: str) -> None:
    env = decode(block.encode())
    assert env.type.value in ("cmd", "ack")
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
