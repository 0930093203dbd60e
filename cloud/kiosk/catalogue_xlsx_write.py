"""The working copy as an Excel workbook: one sheet per table (``catalogue_xlsx_cells``)."""

from __future__ import annotations

import io
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from cloud.kiosk.catalogue_document import GuideDocument
from cloud.kiosk.catalogue_xlsx_cells import (
    SHEETS,
    join_lines,
    join_list,
    write_when,
    write_windows,
)
from protocols.guide import Item

Row = list[object]


def _item_row(item: Item, draft: bool) -> Row:
    return [
        item.code,
        item.name,
        item.name_en,
        item.department,
        item.object,
        join_list(item.themes),
        item.time_limit_days,
        item.legal_limit_days,
        item.fees,
        item.phone,
        item.place,
        write_windows(item.windows),
        join_list(item.sites),
        join_lines(item.conditions),
        join_lines(item.legal_basis),
        item.service,
        join_list(item.keywords),
        "是" if draft else "",
    ]


def _parts(item: Item) -> Iterator[tuple[str, Row]]:
    """The rows an item has on the other sheets, sheet by sheet, in the item's order."""
    c = item.code
    for m in item.materials:
        yield (
            "materials",
            [
                c,
                m.code,
                m.name,
                m.name_en,
                m.form,
                m.copies,
                "是" if m.required else "否",
                m.note,
                write_when(m.when),
            ],
        )
        for sub in m.sub:
            yield "sub_materials", [c, m.code, sub.name, sub.note]
    for f in item.forms:
        yield "forms", [c, f.code, f.name, f.template, write_when(f.when)]
    for q in item.questions:
        yield "questions", [c, q.code, q.text, q.text_en, write_when(q.when)]
        for o in q.options:
            yield "options", [c, q.code, o.code, o.label, o.label_en]
    for r in item.review_points:
        yield "review_points", [c, r.text, write_when(r.when)]


def rows_of(doc: GuideDocument) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {name: [] for name in SHEETS}
    rows["departments"] = [[d.code, d.name, d.name_en] for d in doc.departments]
    rows["themes"] = [[t.code, t.name, t.name_en] for t in doc.themes]
    drafts = set(doc.drafts)
    for item in doc.items:
        rows["items"].append(_item_row(item, item.code in drafts))
        for sheet, row in _parts(item):
            rows[sheet].append(row)
    return rows


def write_xlsx(doc: GuideDocument) -> bytes:
    """Write-only mode: rows are streamed out (styling each cell of a normal workbook took a
    minute of CPU for 5,000 items)."""
    book = Workbook(write_only=True)
    for name, rows in rows_of(doc).items():
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        header = []
        for column in SHEETS[name]:
            cell = WriteOnlyCell(sheet, value=column)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
