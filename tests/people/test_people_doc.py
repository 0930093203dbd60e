"""docs/people.md's roles table says what fleet/access.py grants, cell by cell."""

from __future__ import annotations

from pathlib import Path

from fleet.access import Permission, PersonRole, allows

DOC = Path(__file__).resolve().parents[2] / "docs" / "people.md"


def test_roles_table_matches_the_code() -> None:
    lines = [ln for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    roles = [PersonRole(h) for h in header[1:]]
    rows = {}
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in {p.value for p in Permission}:
            rows[Permission(cells[0])] = [c == "✓" for c in cells[1:]]
    assert set(rows) == set(Permission)
    for permission, marks in rows.items():
        assert marks == [allows(r, permission) for r in roles], permission
