"""Import and export of the catalogue's working copy, as JSON or Excel (docs/kiosk-guide.md).

JSON is a :class:`GuideDocument`: departments, themes, items (each a ``protocols.guide.Item``)
and which items are drafts; a published ``Catalogue`` (``GET /api/v1/kiosk/catalogue``, the
sample catalogue) imports as it is — its version and date are ignored. Excel has one sheet per
table (``catalogue_xlsx_*``). An import is checked whole before anything is saved: every bad
row is reported with where it is (``loc``: sheet or list, row, column) and nothing is saved.
"""

from __future__ import annotations

import json
import zlib

from pydantic import ValidationError

from cloud.kiosk.catalogue_document import FORMAT_NAME, XLSX_MEDIA, Format, GuideDocument, Problems
from cloud.kiosk.catalogue_errors import GuideInvalid
from cloud.kiosk.catalogue_xlsx_read import Known, read_xlsx
from cloud.kiosk.catalogue_xlsx_write import write_xlsx

__all__ = ["FORMAT_NAME", "XLSX_MEDIA", "Format", "GuideDocument", "Problems", "read", "write"]


def json_document(doc: GuideDocument) -> bytes:
    data = doc.model_dump(mode="json", exclude={"version", "published_at"})
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def read_json(data: bytes) -> GuideDocument:
    """The document in ``data``, or every problem with its place (``GuideInvalid``)."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GuideInvalid(
            "the file is not JSON", [(["file"], f"not a JSON document ({err}); export one first")]
        ) from None
    try:
        doc = GuideDocument.model_validate(raw)
    except ValidationError as err:
        found: Problems = [(["file", *e["loc"]], e["msg"]) for e in err.errors()]
        raise GuideInvalid("the JSON file has bad entries", found) from None
    check_document(doc, ["file"])
    return doc


def check_document(
    doc: GuideDocument,
    where: list[str | int],
    known_departments: set[str] | None = None,
    known_themes: set[str] | None = None,
) -> None:
    """Codes unique, drafts naming items of the file; with ``known_*`` (the database's),
    every department and theme an item names exists in the file or there."""
    found: Problems = []
    for name, codes in (
        ("departments", [d.code for d in doc.departments]),
        ("themes", [t.code for t in doc.themes]),
        ("items", [i.code for i in doc.items]),
    ):
        seen: set[str] = set()
        for n, code in enumerate(codes):
            if code in seen:
                found.append(([*where, name, n, "code"], f"{code!r} appears twice in {name}"))
            seen.add(code)
    items = {i.code for i in doc.items}
    found += [
        ([*where, "drafts", n], f"draft {c!r} is not an item of the file")
        for n, c in enumerate(doc.drafts)
        if c not in items
    ]
    if known_departments is not None and known_themes is not None:
        found += _reference_problems(doc, where, known_departments, known_themes)
    if found:
        raise GuideInvalid("the file has bad entries", found)


def _reference_problems(
    doc: GuideDocument, where: list[str | int], departments: set[str], themes: set[str]
) -> Problems:
    depts = departments | {d.code for d in doc.departments}
    known_t = themes | {t.code for t in doc.themes}
    found: Problems = []
    for n, item in enumerate(doc.items):
        if item.department not in depts:
            found.append(
                (
                    [*where, "items", n, "department"],
                    f"item {item.code}: department {item.department!r} is neither in the file "
                    "nor in the catalogue",
                )
            )
        found += [
            ([*where, "items", n, "themes"], f"item {item.code}: theme {t!r} is unknown")
            for t in item.themes
            if t not in known_t
        ]
    return found


#: a gzip-compressed JSON file may unpack to at most this (a 5,000-item catalogue: ~5 MB)
MAX_UNPACKED = 64 * 1024 * 1024


def gunzip(data: bytes) -> bytes:
    """``data`` unpacked if it is gzip (a large JSON file fits the request limit that way),
    refusing one that unpacks beyond :data:`MAX_UNPACKED` or is damaged."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    unpack = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = unpack.decompress(data, MAX_UNPACKED + 1)
    except zlib.error as err:
        raise GuideInvalid("the file is damaged", [(["file"], f"bad gzip data ({err})")]) from None
    if len(out) > MAX_UNPACKED or unpack.unconsumed_tail:
        raise GuideInvalid(
            "the file is too large",
            [(["file"], f"it unpacks to more than {MAX_UNPACKED} bytes: split the catalogue")],
        )
    return out


def read(
    data: bytes, fmt: Format, departments: set[str] | None = None, themes: set[str] | None = None
) -> GuideDocument:
    """The file's document; with the catalogue's department and theme codes, references to
    neither the file's nor those are reported at their row too."""
    if fmt == "json":
        doc = read_json(gunzip(data))
        if departments is not None and themes is not None:
            check_document(doc, ["file"], departments, themes)
        return doc
    known = Known(departments, themes) if departments is not None and themes is not None else None
    return read_xlsx(data, known)


def write(doc: GuideDocument, fmt: Format) -> bytes:
    if fmt == "json":
        return json_document(doc)
    return write_xlsx(doc)
