"""docs/architecture.md names real things: every ``path/file.py`` and every dotted
``package.module.name`` it writes in backticks must exist, so a rename that forgets the map
fails here instead of leaving a newcomer with a dead trail."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
README = ROOT / "README.md"

#: first segments of dotted names that are ours (anything else in backticks is not checked)
PACKAGES = ("protocols", "fleet", "cloud", "edge_agent", "provisioning", "simulators", "kfleet")

CODE = re.compile(r"`([^`\s]+)`")
#: ``cloud/wiring.py``, ``pyproject.toml``, ``cloud/db/`` (a topic like ``kf/v1/dev/{id}/cmd``
#: or a URL path starting with ``/`` is not a file)
FILE = re.compile(r"^[\w.-]+(/[\w.-]+)*\.(py|md|toml)$|^[\w.-]+(/[\w.-]+)*/$")
DOTTED = re.compile(rf"^({'|'.join(PACKAGES)})(\.[A-Za-z_]\w*)+$")


def _spans() -> list[str]:
    return CODE.findall(DOC.read_text(encoding="utf-8"))


def resolve(dotted: str) -> object:
    """The object a dotted name means: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            obj: object = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name and not module.startswith(err.name):
                raise  # the module exists but one of its own imports is missing
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)  # AttributeError names what is missing
        return obj
    raise ModuleNotFoundError(dotted)


def test_every_named_file_exists() -> None:
    files = sorted({s for s in _spans() if FILE.match(s)})
    assert len(files) >= 40, f"the regex found too few paths to be working: {files}"
    missing = [f for f in files if not (ROOT / f).exists()]
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


def test_every_named_function_exists() -> None:
    names = sorted({s for s in _spans() if DOTTED.match(s)})
    assert len(names) >= 40, f"the regex found too few dotted names to be working: {names}"
    missing = []
    for name in names:
        try:
            resolve(name)
        except (ImportError, AttributeError) as err:
            missing.append(f"{name} ({err})")
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"


def test_the_job_path_has_at_most_ten_steps() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## 3. The path of one job id", 1)[1].split("\n## ", 1)[0]
    steps = re.findall(r"^(\d+)\. ", section, flags=re.MULTILINE)
    assert steps == [str(i) for i in range(1, len(steps) + 1)]
    assert 5 <= len(steps) <= 10


def test_resolve_refuses_what_does_not_exist() -> None:
    assert resolve("fleet.acks.decide_ack") is not None
    for bad in ("fleet.acks.no_such_function", "cloud.no_such_module.thing"):
        try:
            resolve(bad)
        except (ImportError, AttributeError):
            continue
        raise AssertionError(f"{bad} resolved")


def test_readme_links_the_map() -> None:
    assert "(docs/architecture.md)" in README.read_text(encoding="utf-8")
