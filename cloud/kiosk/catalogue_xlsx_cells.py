"""The Excel layout of the catalogue: the sheets, their columns, and how a list or a
situation condition is written in one cell (docs/kiosk-guide.md, "Excel")."""

from __future__ import annotations

import re

from protocols.guide import When

#: sheet → columns, in order (row 1 of each sheet holds these names)
SHEETS: dict[str, tuple[str, ...]] = {
    "departments": ("code", "name", "name_en"),
    "themes": ("code", "name", "name_en"),
    "items": (
        "code",
        "name",
        "name_en",
        "department",
        "object",
        "themes",
        "time_limit_days",
        "legal_limit_days",
        "fees",
        "phone",
        "place",
        "windows",
        "sites",
        "conditions",
        "legal_basis",
        "service",
        "keywords",
        "draft",
    ),
    "materials": (
        "item",
        "code",
        "name",
        "name_en",
        "form",
        "copies",
        "required",
        "note",
        "when",
    ),
    "sub_materials": ("item", "material", "name", "note"),
    "forms": ("item", "code", "name", "template", "when"),
    "questions": ("item", "code", "text", "text_en", "when"),
    "options": ("item", "question", "code", "label", "label_en"),
    "review_points": ("item", "text", "when"),
}
#: list cells: items separated by a comma, 、, ；, ; or a new line
_LIST_SPLIT = re.compile(r"[,，、;；\n]")
TRUE = {"1", "true", "yes", "y", "是", "x", "✓"}
FALSE = {"", "0", "false", "no", "n", "否"}


def text(value: object) -> str:
    """A cell as text (numbers as written: 3.0 → "3")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def split_list(value: object) -> list[str]:
    return [p.strip() for p in _LIST_SPLIT.split(text(value)) if p.strip()]


def split_lines(value: object) -> list[str]:
    """Conditions and legal basis: one per line (they may hold commas)."""
    return [p.strip() for p in text(value).splitlines() if p.strip()]


def join_list(values: list[str]) -> str:
    return ", ".join(values)


def join_lines(values: list[str]) -> str:
    return "\n".join(values)


def read_when(value: object) -> When:
    """``age=over80, local=yes | age=over90`` → two alternatives (``|`` or a new line
    between alternatives, ``,`` between the answers that must all hold)."""
    out: When = []
    for alt in re.split(r"[|\n]", text(value)):
        pairs = [p.strip() for p in re.split(r"[,，;；]", alt) if p.strip()]
        if not pairs:
            continue
        conj: dict[str, str] = {}
        for pair in pairs:
            q, sep, o = pair.partition("=")
            if not sep or not q.strip() or not o.strip():
                raise ValueError(
                    f"{pair!r} is not question=option (write e.g. age=over80, alternatives "
                    "separated by |)"
                )
            conj[q.strip()] = o.strip()
        out.append(conj)
    return out


def write_when(when: When) -> str:
    return " | ".join(", ".join(f"{q}={o}" for q, o in alt.items()) for alt in when)


def read_windows(value: object) -> dict[str, list[str]]:
    """One site per line: ``qh/hx/golmud/hhl: 3, 4``."""
    out: dict[str, list[str]] = {}
    for line in split_lines(value):
        site, sep, numbers = line.partition(":")
        if not sep:
            site, sep, numbers = line.partition("：")
        if not sep or not site.strip():
            raise ValueError(f"{line!r} is not site: window numbers (e.g. qh/hx/golmud/hhl: 3, 4)")
        out[site.strip()] = split_list(numbers)
    return out


def write_windows(windows: dict[str, list[str]]) -> str:
    return "\n".join(f"{site}: {', '.join(nums)}" for site, nums in windows.items())


def read_bool(value: object, default: bool) -> bool:
    t = text(value).lower()
    if t == "":
        return default
    if t in TRUE:
        return True
    if t in FALSE:
        return False
    raise ValueError(f"{t!r} is not yes or no (write 是/否, yes/no or 1/0)")
