"""Every declared query runs against its department's simulator through the adapter and fills
every field it declares; the declarations themselves hang together."""

from __future__ import annotations

import re
from datetime import timedelta, timezone

import pytest

from cloud.kiosk.departments import MODULES
from cloud.kiosk.departments.base import QueryDecl
from tests.kiosk.departments_kit import EXAMPLES, WANG, running

BEIJING = timezone(timedelta(hours=8))
DECLS: list[QueryDecl] = [q for m in MODULES for q in m.QUERIES]
#: the kiosk's query categories (社保医保, 户籍证件, 教育, 住房, 民生保障, 交通出行; k_queries.js)
CATEGORIES = {"social", "household", "education", "housing", "welfare", "transport"}


def test_declarations_hang_together() -> None:
    codes = [q.code for q in DECLS]
    assert len(codes) == len(set(codes)), "a query code is declared twice"
    assert len(DECLS) >= 21 and "civil_dibao" in codes
    assert {m.__name__.rsplit(".", 1)[1] for m in MODULES} == {
        "edu",
        "hrss",
        "police",
        "medical",
        "realestate",
        "civil",
        "bus",
        "hpf",
    }
    for module in MODULES:
        department = module.__name__.rsplit(".", 1)[1]
        for q in module.QUERIES:
            assert q.department == department, q.code
            assert q.category in CATEGORIES, f"{q.code}: no kiosk category {q.category}"
            assert q.operation in module.OPS, f"{q.code}: no operation {q.operation}"
            op_fields = set(module.OPS[q.operation].fields)
            assert {f.key for f in q.fields} == op_fields, f"{q.code}: fields differ from the op"
    assert set(EXAMPLES) == set(codes), "every declared query needs an example here"


@pytest.mark.parametrize("decl", DECLS, ids=lambda q: q.code)
async def test_every_declared_query_answers(decl: QueryDecl) -> None:
    person, inputs = EXAMPLES[decl.code]
    assert (person is None) == (decl.identity == "public")
    for given in decl.inputs:
        value = inputs.get(given.name, "")
        assert value or not given.required, f"the example lacks the required {given.name}"
        if value and given.pattern:
            assert re.fullmatch(given.pattern, value), f"{given.name}: {value!r} vs its pattern"
    async with running(decl.department) as (_sim, adapter):
        result = await adapter.query(decl.operation, person, inputs, 1, 20)
    assert result.rows, f"{decl.code} answered no rows"
    if decl.layout == "record":
        assert len(result.rows) == 1
    keys = [f.key for f in decl.fields]
    for row in result.rows:
        assert list(row) == keys
    empty = [k for k in keys if not any(row[k] for row in result.rows)]
    assert not empty, f"{decl.code}: the department never fills {empty}"


@pytest.mark.parametrize(
    ("code", "operation", "stamp"),
    [("medical", "balance", "2026-12-06 02:00"), ("police", "household", "2026-12-01 00:00")],
)
async def test_a_record_says_when_its_data_is_from(code: str, operation: str, stamp: str) -> None:
    async with running(code) as (_sim, adapter):
        result = await adapter.query(operation, WANG, {}, 1, 1)
    assert result.as_of is not None
    assert result.as_of.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") == stamp
