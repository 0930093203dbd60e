"""The house rules a newcomer can rely on: no module over 400 lines, no function over 60.

Counted on the product packages and the benchmarks (migrations excluded: Alembic writes them,
and they are history); tests are not held to it. A function's length runs from its ``def``
line to its last line, docstring included; nested functions count inside their parent too.
"""

from __future__ import annotations

import ast
from pathlib import Path

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
