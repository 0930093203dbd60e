"""The file formats without a cloud: the Excel cell formats (when, windows, yes/no), the
round trip of an item through a workbook, the bound on rows (a small zip can unpack to
millions), gzip-compressed JSON and its bound."""

from __future__ import annotations

import gzip
import io

import pytest
from openpyxl import Workbook

from cloud.kiosk import catalogue_io, catalogue_xlsx_read
from cloud.kiosk.catalogue_document import GuideDocument
from cloud.kiosk.catalogue_errors import GuideInvalid
from cloud.kiosk.catalogue_io import read, write
from cloud.kiosk.catalogue_xlsx_cells import read_bool, read_when, read_windows, write_when
from protocols.guide import Department, Item, Theme
from tests.kiosk.catalogue_kit import departments, item, themes


def test_when_cells_read_alternatives_and_conjunctions() -> None:
    assert read_when("") == []
    assert read_when("age=a90 | age=a80, local=no") == [
        {"age": "a90"},
        {"age": "a80", "local": "no"},
    ]
    assert read_when("age = a90\nlocal=no；x=y") == [{"age": "a90"}, {"local": "no", "x": "y"}]
    when = [{"a": "1", "b": "2"}, {"c": "3"}]
    assert read_when(write_when(when)) == when
    with pytest.raises(ValueError, match="question=option"):
        read_when("age")


def test_windows_and_yes_no_cells() -> None:
    got = read_windows("qh/hx/golmud/hhl: 3, 4\nqh/hx/golmud/tgls：1")
    assert got == {"qh/hx/golmud/hhl": ["3", "4"], "qh/hx/golmud/tgls": ["1"]}
    assert [read_bool(v, True) for v in ("是", "否", "", "yes", 0, 1)] == [
        True,
        False,
        True,
        True,
        False,
        True,
    ]
    with pytest.raises(ValueError, match="not yes or no"):
        read_bool("maybe", False)
    with pytest.raises(ValueError, match="site: window numbers"):
        read_windows("3, 4")


def test_an_item_survives_the_workbook_unchanged() -> None:
    doc = GuideDocument(
        departments=[Department.model_validate(d) for d in departments()],
        themes=[Theme.model_validate(t) for t in themes()],
        items=[Item.model_validate(item()), Item.model_validate(item("b", conditions=["一，二"]))],
        drafts=["b"],
    )
    back = read(write(doc, "xlsx"), "xlsx", set(), set())
    assert back.items == doc.items and back.drafts == ["b"]
    assert back.departments == doc.departments and back.themes == doc.themes


def test_a_sheet_beyond_the_row_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue_xlsx_read, "MAX_ROWS", 3)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "items"
    sheet.append(["code", "name", "department"])
    for n in range(4):
        sheet.append([f"i{n}", "事项", "civil"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(GuideInvalid) as err:
        read(out.getvalue(), "xlsx")
    assert err.value.errors[0]["loc"] == ["file", "items"]
    assert "more than 3 rows" in err.value.errors[0]["msg"]


def test_a_wrong_layout_names_the_sheet_and_what_to_use() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "materials"
    sheet.append(["item", "code", "nmae"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(GuideInvalid) as err:
        read(out.getvalue(), "xlsx")
    found = {tuple(e["loc"]): e["msg"] for e in err.value.errors}
    assert "unknown columns ['nmae']" in found[("file", "materials", 1)]
    assert "no items sheet" in found[("file", "items")]


def test_a_gzipped_json_file_reads_and_a_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = GuideDocument(
        departments=[Department.model_validate(d) for d in departments()],
        items=[Item.model_validate(item(themes=[]))],
    )
    packed = gzip.compress(write(doc, "json"))
    assert read(packed, "json", set(), set()).items == doc.items
    monkeypatch.setattr(catalogue_io, "MAX_UNPACKED", 1000)
    with pytest.raises(GuideInvalid) as err:
        read(gzip.compress(b" " * 5000), "json")
    assert "unpacks to more than 1000 bytes" in err.value.errors[0]["msg"]
    with pytest.raises(GuideInvalid) as err:
        read(packed[:40], "json")
    assert err.value.errors[0]["loc"] == ["file"]
