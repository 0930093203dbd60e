"""``printhead.with_text`` is ``dataclasses.replace(run, text=...)``: every other field kept,
including any field a later change adds to ``TextRun``."""

from __future__ import annotations

import dataclasses
from typing import Any

from protocols.escpos.layout import TextRun
from protocols.escpos.printhead import with_text


def test_with_text_keeps_every_field_but_the_text() -> None:
    base = TextRun("a", 0)
    for field in dataclasses.fields(TextRun):
        if field.name == "text":
            continue
        value = getattr(base, field.name)
        changed: Any
        if isinstance(value, bool):
            changed = not value
        elif isinstance(value, int):
            changed = value + 3
        else:
            changed = "B"
        run = dataclasses.replace(base, **{field.name: changed})
        made = with_text(run, "ab")
        assert made == dataclasses.replace(run, text="ab"), field.name
        assert getattr(made, field.name) == changed, field.name
