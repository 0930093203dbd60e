"""What keeps an item out of a publication, beyond its own shape (the ``Item`` model) and its
situations (``fleet.guide.problems``): a department, theme or site it names that does not
exist. One sentence per problem, so the console can list them next to the item."""

from __future__ import annotations

from collections.abc import Collection

from fleet.guide import problems as situation_problems
from protocols.guide import Item


def reference_problems(
    item: Item, departments: Collection[str], themes: Collection[str]
) -> list[tuple[str, str]]:
    """(field, sentence) for a department or theme code that is not in the catalogue."""
    out: list[tuple[str, str]] = []
    if item.department not in departments:
        out.append(
            (
                "department",
                f"department {item.department!r} is not in the catalogue: add it first "
                f"(POST /api/v1/guide/departments) or use one of {sorted(departments)}",
            )
        )
    out += [
        ("themes", f"theme {t!r} is not in the catalogue: add it first or remove it")
        for t in item.themes
        if t not in themes
    ]
    return out


def site_problems(item: Item, sites: Collection[str]) -> list[str]:
    """A site in ``sites`` or ``windows`` that does not exist (a typo sends no kiosk there)."""
    named = [*item.sites, *item.windows]
    return [
        f"item {item.code}: site {p!r} does not exist (GET /api/v1/sites lists them)"
        for p in dict.fromkeys(named)
        if p not in sites
    ]


def item_problems(
    item: Item, departments: Collection[str], themes: Collection[str], sites: Collection[str]
) -> list[str]:
    """Everything that stops ``item`` from being published (empty: it may be)."""
    refs = [f"item {item.code}: {msg}" for _, msg in reference_problems(item, departments, themes)]
    return [*situation_problems(item), *refs, *site_problems(item, sites)]
