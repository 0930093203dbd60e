"""docs/people.md's roles table is what fleet/access.py grants, cell by cell.

The table is generated: after changing a role or adding a permission, regenerate it with
``python tests/people/test_people_doc.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fleet.access import Permission, PersonRole, allows

DOC = Path(__file__).resolve().parents[2] / "docs" / "people.md"
BEGIN = "<!-- roles: generated from fleet/access.py by tests/people/test_people_doc.py -->"
END = "<!-- end of roles -->"


def roles_table() -> str:
    roles = list(PersonRole)
    lines = [
        "| Permission | " + " | ".join(r.value for r in roles) + " |",
        "|---|" + "|".join(":-:" for _ in roles) + "|",
    ]
    for p in Permission:
        marks = " | ".join("✓" if allows(r, p) else " " for r in roles)
        lines.append(f"| {p.value} | {marks} |")
    return "\n".join(lines)


def _block(text: str) -> tuple[int, int]:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return start, end


def test_roles_table_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = _block(text)
    assert text[start:end].strip() == roles_table(), (
        "docs/people.md's roles table is stale: run python tests/people/test_people_doc.py"
    )


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    start, end = _block(text)
    DOC.write_text(text[:start] + "\n" + roles_table() + "\n" + text[end:], encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
