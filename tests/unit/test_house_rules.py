"""The house rules a newcomer can rely on: no module over 400 lines, no function over 60.

Counted on the product packages and the benchmarks (migrations excluded: Alembic writes them,
and they are history); tests are not held to it. A function's length runs from its ``def``
line to its last line, docstring included; nested functions count inside their parent too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import conftest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "protocols",
    "fleet",
    "cloud",
    "edge_agent",
    "provisioning",
    "simulators",
    "kfleet",
    "benchmarks",
)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def product_modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts:
                continue
            found.append(path)
    return found


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(ROOT)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                out.append(f"{where}:{node.lineno} {node.name}() is {length} lines")
    return out


def test_the_packages_are_where_the_rules_look() -> None:
    modules = product_modules()
    assert {p.relative_to(ROOT).parts[0] for p in modules} >= set(PACKAGES) - {"provisioning"}
    assert not any("migrations" in p.parts for p in modules)


def test_no_module_is_over_400_lines() -> None:
    offenders = []
    for path in product_modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            offenders.append(f"{path.relative_to(ROOT)} is {lines} lines")
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(offenders)


def test_no_function_is_over_60_lines() -> None:
    offenders = [line for path in product_modules() for line in long_functions(path)]
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(offenders)


# -- environment-dependent skips go through one helper -------------------------------------

#: what steps a test aside: ``pytest.skip``, ``pytest.mark.skipif``, ``pytest.importorskip``
#: (and the same names imported bare, or ``pytest.mark.skip``)
SKIPPERS = frozenset({"skip", "skipif", "importorskip"})
#: the one function allowed to skip: it FAILS instead under KFLEET_REQUIRE_SERVERS=1
HELPER = ("tests/conftest.py", "require_or_skip")


def skips_outside_the_helper(source: str, where: str) -> list[str]:
    """Every skip in ``source`` (the file ``where``, relative to the root) that is not in the
    body of :data:`HELPER`."""
    tree = ast.parse(source, filename=where)
    allowed: list[range] = [
        range(node.lineno, (node.end_lineno or node.lineno) + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and (where, node.name) == HELPER
    ]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Attribute) and node.attr in SKIPPERS:
            names = [node.attr]
        elif isinstance(node, ast.ImportFrom) and node.module in ("pytest", "unittest"):
            names = [a.name for a in node.names if a.name in SKIPPERS]
        line = getattr(node, "lineno", 0)
        if names and not any(line in r for r in allowed):
            found.append((line, f"{where}:{line} uses {names[0]}"))
    return [text for _, text in sorted(found)]


def test_the_skip_rule_sees_every_way_to_skip() -> None:
    source = (
        "import pytest\nfrom pytest import importorskip\n"
        "@pytest.mark.skipif(True, reason='x')\ndef test_a():\n    pytest.skip('no server')\n"
        "def require_or_skip(what):\n    pytest.skip(what)\n"
    )
    assert skips_outside_the_helper(source, "tests/x.py") == [
        "tests/x.py:2 uses importorskip",
        "tests/x.py:3 uses skipif",
        "tests/x.py:5 uses skip",
        "tests/x.py:7 uses skip",  # only the helper in tests/conftest.py may skip
    ]
    assert len(skips_outside_the_helper(source, HELPER[0])) == 3


def test_tests_skip_only_through_require_or_skip() -> None:
    """A bare skip would let CI go green without running the test; ``require_or_skip`` fails
    it instead when ``KFLEET_REQUIRE_SERVERS=1``."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        offenders += skips_outside_the_helper(path.read_text(encoding="utf-8"), where)
    assert not offenders, (
        "skip only through tests.conftest.require_or_skip(what), which fails under "
        "KFLEET_REQUIRE_SERVERS=1:\n" + "\n".join(offenders)
    )


def test_require_or_skip_skips_here_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "REQUIRE", True)  # what KFLEET_REQUIRE_SERVERS=1 sets
    with pytest.raises(BaseException, match="KFLEET_REQUIRE_SERVERS=1 says it must be") as err:
        conftest.require_or_skip("Mosquitto")
    assert err.typename == "Failed" and "Mosquitto is not available" in str(err.value)
    monkeypatch.setattr(conftest, "REQUIRE", False)
    with pytest.raises(BaseException, match="Mosquitto is not available") as err:
        conftest.require_or_skip("Mosquitto")
    assert err.typename == "Skipped"
