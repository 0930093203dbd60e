"""Masking a query result where a bystander may read it (the kiosk screen, a shared printer):
each :class:`ResultField` says how its value is shown; a key the declaration does not name is
dropped, so a department that answers more than declared shows no more."""

from __future__ import annotations

from collections.abc import Iterable

from cloud.kiosk.departments.base import ResultField
from protocols.idcard.text import mask_address, mask_id_number


def mask_value(value: str, mask: str) -> str:
    """One value as shown: ``name`` 张*明 / 张*, ``id_number`` 6328**********0137, ``phone``
    138****5678, ``account`` ****1234, ``address`` its first 6 characters + ***."""
    if not value or mask == "none":
        return value
    if mask == "name":
        return value[0] + "*" if len(value) <= 2 else value[0] + "*" * (len(value) - 2) + value[-1]
    if mask == "id_number":
        return mask_id_number(value)
    if mask == "phone":
        return value[:3] + "****" + value[-4:] if len(value) >= 8 else "*" * len(value)
    if mask == "account":
        return "****" + value[-4:] if len(value) > 4 else "*" * len(value)
    if mask == "address":
        return mask_address(value)
    raise ValueError(f"unknown mask {mask!r}")


def mask_rows(rows: Iterable[dict[str, str]], fields: list[ResultField]) -> list[dict[str, str]]:
    """The declared fields of each row, masked; a missing field is an empty string."""
    return [{f.key: mask_value(str(row.get(f.key, "")), f.mask) for f in fields} for row in rows]
