"""The probe's findings as a table for a technician or as JSON for a script."""

from __future__ import annotations

import json
from collections.abc import Sequence

from provisioning.probe_models import Finding

NOTHING = "No hardware found: no serial ports, video devices, USB devices or printers."
_HEAD = ("KIND", "WHERE", "USB ID", "NAME", "LOOKS LIKE", "KFLEET TYPE", "WHY")


def _row(f: Finding) -> tuple[str, ...]:
    why = f.guess.why
    if "dle_eot_1" in f.detail:
        why += f" [DLE EOT 1: {f.detail['dle_eot_1']}]"
    if "health" in f.detail:
        why += f" [{f.detail['health']}: {f.detail['state']}]"
    return (
        str(f.kind),
        f.where,
        f.usb_id or "-",
        f.name or "-",
        f.guess.label,
        f.guess.driver or "-",
        why,
    )


def as_table(findings: Sequence[Finding]) -> str:
    """Aligned columns, one device a line; a plain sentence when there is nothing."""
    if not findings:
        return NOTHING
    rows = [_HEAD, *(_row(f) for f in findings)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEAD) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]) for r in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def as_json(findings: Sequence[Finding]) -> str:
    """``{"devices": [...]}``; an empty list (not an error) when there is nothing."""
    return json.dumps({"devices": [f.as_json() for f in findings]}, ensure_ascii=False, indent=2)
