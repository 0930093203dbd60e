"""The one validation of filled e-forms (protocols/eform_check.py)."""

from __future__ import annotations

from typing import Any

from protocols.eform import FieldLayout, FormDef, Section
from protocols.eform_check import definition_problems, form_problems, luhn_ok


def _form(**schema_extra: Any) -> FormDef:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "id_number", "card"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 4},
            "id_number": {"type": "string"},
            "card": {"type": "string"},
            "kind": {"type": "string", "enum": ["a", "b"]},
        },
        **schema_extra,
    }
    return FormDef(
        code="t1",
        version=1,
        title="测试表",
        json_schema=schema,
        sections=[
            Section(
                title="基本信息",
                fields=[
                    FieldLayout(key="name", label="姓名", label_en="Name", from_card="name"),
                    FieldLayout(key="id_number", label="身份证号", input="id_number"),
                    FieldLayout(key="card", label="银行卡号", label_en="Card", input="bank_card"),
                    FieldLayout(key="kind", label="类别", input="select"),
                ],
            )
        ],
    )


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert not luhn_ok("41111")


def test_a_good_form_has_no_problems() -> None:
    form = _form()
    assert definition_problems(form) == []
    data = {"name": "张三", "id_number": "11010519491231002X", "card": "4111111111111111"}
    assert form_problems(form, data) == []


def test_each_problem_names_its_field_in_both_languages() -> None:
    form = _form()
    got = form_problems(
        form,
        {
            "name": "张三丰多字啊",
            "id_number": "110105194912310021",
            "card": "4111111111111112",
            "kind": "z",
        },
    )
    by_field = {p.field: p for p in got}
    assert set(by_field) == {"name", "id_number", "card", "kind"}
    assert "姓名" in by_field["name"].message and "Name" in by_field["name"].message_en
    assert "校验位" in by_field["id_number"].message
    assert "Card" in by_field["card"].message_en
    missing = form_problems(form, {})
    assert {p.field for p in missing} == {"name", "id_number", "card"}


def test_a_definition_that_does_not_match_its_layout_is_refused() -> None:
    form = _form()
    broken = form.model_copy(
        update={"json_schema": {**form.json_schema, "properties": {"name": {"type": "string"}}}}
    )
    problems = definition_problems(broken)
    assert any("id_number" in p for p in problems)
    bad_schema = form.model_copy(update={"json_schema": {"type": "objectx"}})
    assert "not valid JSON Schema" in definition_problems(bad_schema)[0]
