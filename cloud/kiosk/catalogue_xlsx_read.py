"""Reading a catalogue workbook (``catalogue_xlsx_cells`` has the layout). Every problem is
reported with its sheet, row number (as Excel shows it) and column: ``loc`` =
``["file", sheet, row, column]``; one bad row means nothing is imported."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError

from cloud.kiosk.catalogue_document import GuideDocument, Problems
from cloud.kiosk.catalogue_errors import GuideInvalid
from cloud.kiosk.catalogue_xlsx_cells import (
    SHEETS,
    read_bool,
    read_when,
    read_windows,
    split_lines,
    split_list,
    text,
)
from protocols.guide import Department, Item, Theme

Row = dict[str, object]
#: bounds on what a workbook may hold (a small zip can unpack to millions of rows)
MAX_ROWS = 50_000
MAX_COLUMNS = 40


def read_int(value: object) -> int:
    """A whole number as Excel gives it (``3``, ``3.0`` or the text ``"3"``)."""
    t = text(value).strip()
    if re.fullmatch(r"-?[0-9]+(\.0+)?", t):
        return int(float(t))
    raise ValueError(f"{t!r} is not a whole number")


#: how a cell becomes a field value (a ValueError is reported at the cell)
CONVERT: dict[str, Callable[[object], object]] = {
    "themes": split_list,
    "sites": split_list,
    "keywords": split_list,
    "conditions": split_lines,
    "legal_basis": split_lines,
    "windows": read_windows,
    "when": read_when,
    "required": lambda v: read_bool(v, True),
    "copies": read_int,
    "time_limit_days": read_int,
    "legal_limit_days": read_int,
}
#: the part sheets: sheet → the list field of the item it fills
PART_FIELD = {
    "materials": "materials",
    "forms": "forms",
    "questions": "questions",
    "review_points": "review_points",
}


@dataclass
class Built:
    """One item being assembled, and the row each of its parts came from."""

    row: int
    body: dict[str, Any]
    rows: dict[str, list[int]] = field(default_factory=dict)  # part field → row numbers
    subs: dict[tuple[str, int], list[int]] = field(default_factory=dict)


class Reader:
    def __init__(self, sheets: dict[str, list[tuple[int, Row]]]) -> None:
        self.sheets = sheets
        self.found: Problems = []

    def bad(self, sheet: str, row: int, column: str, msg: str) -> None:
        self.found.append((["file", sheet, row, column], msg))

    def values(self, sheet: str, n: int, row: Row, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """The row's cells as field values (empty cells left out: the model's default)."""
        out: dict[str, Any] = {}
        for col, raw in row.items():
            if col in skip or text(raw) == "":
                continue
            try:
                out[col] = CONVERT.get(col, text)(raw)
            except ValueError as err:
                self.bad(sheet, n, col, str(err))
        return out

    def named(self, sheet: str, model: type[Department] | type[Theme]) -> list[Any]:
        out: list[Any] = []
        seen: set[str] = set()
        for n, row in self.sheets.get(sheet, []):
            got = self.model(sheet, n, model, self.values(sheet, n, row))
            if got is not None and got.code in seen:
                self.bad(sheet, n, "code", f"{got.code!r} appears twice on {sheet}")
            elif got is not None:
                seen.add(got.code)
                out.append(got)
        return out

    def model(self, sheet: str, n: int, model: type[BaseModel], data: dict[str, Any]) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as err:
            for e in err.errors():
                self.bad(sheet, n, ".".join(str(p) for p in e["loc"]), e["msg"])
            return None

    def items(self) -> tuple[dict[str, Built], list[str]]:
        built: dict[str, Built] = {}
        drafts: list[str] = []
        for n, row in self.sheets.get("items", []):
            body = self.values("items", n, row, skip=("draft",))
            code = str(body.get("code", ""))
            if code in built:
                self.bad("items", n, "code", f"item {code!r} appears twice on items")
                continue
            built[code] = Built(n, body)
            try:
                if read_bool(row.get("draft"), False):
                    drafts.append(code)
            except ValueError as err:
                self.bad("items", n, "draft", str(err))
        return built, drafts

    def owner(self, sheet: str, n: int, built: dict[str, Built], row: Row) -> Built | None:
        code = text(row.get("item"))
        got = built.get(code)
        if got is None:
            self.bad(sheet, n, "item", f"item {code!r} is not on the items sheet")
        return got

    def parts(self, built: dict[str, Built]) -> None:
        """Materials, forms, questions and review points onto their items, in row order."""
        for sheet, name in PART_FIELD.items():
            for n, row in self.sheets.get(sheet, []):
                item = self.owner(sheet, n, built, row)
                if item is not None:
                    item.body.setdefault(name, []).append(self.values(sheet, n, row, ("item",)))
                    item.rows.setdefault(name, []).append(n)
        self.children(built, "sub_materials", "materials", "material", "sub")
        self.children(built, "options", "questions", "question", "options")

    def children(
        self, built: dict[str, Built], sheet: str, parent: str, key: str, name: str
    ) -> None:
        """二级材料 under their material, options under their question."""
        for n, row in self.sheets.get(sheet, []):
            item = self.owner(sheet, n, built, row)
            if item is None:
                continue
            code = text(row.get(key))
            parents = item.body.get(parent, [])
            index = next((i for i, p in enumerate(parents) if p.get("code") == code), None)
            if index is None:
                self.bad(sheet, n, key, f"{key} {code!r} is not one of item {item.body['code']}'s")
                continue
            parents[index].setdefault(name, []).append(self.values(sheet, n, row, ("item", key)))
            item.subs.setdefault((parent, index), []).append(n)

    def validate(self, built: dict[str, Built], known: Known) -> list[Item]:
        out = []
        for b in built.values():
            try:
                item = Item.model_validate(b.body)
            except ValidationError as err:
                for e in err.errors():
                    self.found.append((["file", *_place(b, e["loc"])], e["msg"]))
                item = None
            department = text(b.body.get("department"))
            if department and department not in known.departments:
                why = f"department {department!r} is neither on the departments sheet nor known"
                self.bad("items", b.row, "department", why)
            for theme in b.body.get("themes", []):
                if theme not in known.themes:
                    self.bad("items", b.row, "themes", f"theme {theme!r} is unknown")
            if item is not None:
                out.append(item)
        return out


@dataclass(frozen=True)
class Known:
    """Department and theme codes the catalogue already holds (the file may add more)."""

    departments: set[str]
    themes: set[str]


def _place(b: Built, loc: tuple[str | int, ...]) -> list[str | int]:
    """Where a field of an assembled item sits in the workbook: sheet, row, column."""
    if len(loc) >= 2 and isinstance(loc[1], int) and str(loc[0]) in b.rows:
        part, index = str(loc[0]), loc[1]
        rest = loc[2:]
        sub = {"materials": ("sub", "sub_materials"), "questions": ("options", "options")}
        child = sub.get(part)
        if child and len(rest) >= 2 and rest[0] == child[0] and isinstance(rest[1], int):
            rows = b.subs.get((part, index), [])
            row = rows[rest[1]] if rest[1] < len(rows) else b.rows[part][index]
            return [child[1], row, ".".join(str(p) for p in rest[2:])]
        rows = b.rows[part]
        return [part, rows[index] if index < len(rows) else b.row, ".".join(map(str, rest))]
    return ["items", b.row, ".".join(str(p) for p in loc)]


def _sheets(data: bytes) -> dict[str, list[tuple[int, Row]]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise GuideInvalid(
            "the file is not an Excel workbook",
            [(["file"], f"not an .xlsx workbook ({err}); export one to start from")],
        ) from None
    found: Problems = []
    out: dict[str, list[tuple[int, Row]]] = {}
    for ws in book.worksheets:
        if ws.title not in SHEETS:
            continue  # a sheet of notes is allowed
        rows = list(islice(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS), MAX_ROWS + 2))
        if len(rows) > MAX_ROWS + 1:
            found.append((["file", ws.title], f"more than {MAX_ROWS} rows: split the file"))
            continue
        header = [text(h) for h in rows[0]] if rows else []
        unknown = [h for h in header if h and h not in SHEETS[ws.title]]
        if unknown:
            found.append(
                (["file", ws.title, 1], f"unknown columns {unknown}: use {SHEETS[ws.title]}")
            )
        out[ws.title] = [
            (n, {h: v for h, v in zip(header, r, strict=False) if h})
            for n, r in enumerate(rows[1:], start=2)
            if any(text(v) for v in r)
        ]
    book.close()
    if "items" not in out:
        found.append(
            (["file", "items"], f"the workbook has no items sheet (sheets: {list(SHEETS)})")
        )
    if found:
        raise GuideInvalid("the workbook's layout is wrong", found)
    return out


def _order(problem: tuple[list[str | int], str]) -> tuple[int, int]:
    """Problems sheet by sheet in the layout's order, then by row."""
    loc = problem[0]
    sheet = list(SHEETS).index(str(loc[1])) if len(loc) > 1 and loc[1] in SHEETS else -1
    row = loc[2] if len(loc) > 2 and isinstance(loc[2], int) else 0
    return sheet, row


def read_xlsx(data: bytes, known: Known | None = None) -> GuideDocument:
    """The workbook's document; ``known``: the catalogue's codes, to check references."""
    reader = Reader(_sheets(data))
    departments = reader.named("departments", Department)
    themes = reader.named("themes", Theme)
    built, drafts = reader.items()
    reader.parts(built)
    have = known or Known(set(), set())
    items = reader.validate(
        built,
        Known(
            have.departments | {d.code for d in departments},
            have.themes | {t.code for t in themes},
        ),
    )
    if reader.found:
        reader.found.sort(key=_order)
        raise GuideInvalid("the workbook has bad rows", reader.found)
    return GuideDocument(departments=departments, themes=themes, items=items, drafts=drafts)
