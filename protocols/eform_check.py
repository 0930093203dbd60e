"""Validating a filled form against its definition, the one way every surface does it (the
kiosk's agent, the cloud, the phone page's server): JSON Schema first, then the checks a schema
cannot say (an ID number's check digit, a bank card's Luhn digit) by the field's ``input``.

Each problem names the field and says, for the citizen, what is wrong and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from protocols.eform import FormDef
from protocols.idcard.text import id_number_problem

__all__ = [
    "CARD_FIELDS",
    "FormProblem",
    "definition_problems",
    "form_problems",
    "luhn_ok",
    "with_card",
]


@dataclass(frozen=True)
class FormProblem:
    #: the field's key ("" for the form as a whole)
    field: str
    message: str
    message_en: str


def luhn_ok(digits: str) -> bool:
    """A bank card number's last digit checks the others (ISO/IEC 7812, Luhn)."""
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def definition_problems(form: FormDef) -> list[str]:
    """What makes ``form`` unusable, one sentence each (the console refuses to publish it)."""
    try:
        jsonschema_rs.meta.validate(form.json_schema)
    except jsonschema_rs.ValidationError as err:
        return [f"form {form.code}: the schema is not valid JSON Schema: {err.message}"]
    schema = form.json_schema
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        return [f"form {form.code}: the schema must be an object with properties"]
    props: dict[str, Any] = schema["properties"]
    keys = [f.key for f in form.fields()]
    out = [f"form {form.code}: field {k} is laid out twice" for k in sorted(_dupes(keys))]
    out += [
        f"form {form.code}: field {k} is laid out but not in the schema's properties"
        for k in keys
        if k not in props
    ]
    out += [
        f"form {form.code}: property {k} is in the schema but not laid out"
        for k in props
        if k not in keys
    ]
    for f in form.fields():
        if f.input == "select" and "enum" not in props.get(f.key, {}):
            out.append(f"form {form.code}: field {f.key} is a select without an enum")
    return out


def form_problems(form: FormDef, data: Mapping[str, Any]) -> list[FormProblem]:
    """Every problem of ``data`` against ``form`` (empty: the form may be submitted)."""
    labels = {f.key: (f.label, f.label_en or f.key) for f in form.fields()}
    out: list[FormProblem] = []
    validator = jsonschema_rs.Draft202012Validator(form.json_schema)
    for err in validator.iter_errors(dict(data)):
        out.append(_explain(err, labels))
    bad = {p.field for p in out}
    for f in form.fields():
        value = data.get(f.key)
        if f.key in bad or not isinstance(value, str) or not value:
            continue
        zh, en = labels[f.key]
        if f.input == "id_number" and (why := id_number_problem(value)) is not None:
            out.append(FormProblem(f.key, f"{zh}：{why[0]}", f"{en}: {why[1]}"))
        if f.input == "bank_card" and not luhn_ok(value):
            out.append(
                FormProblem(
                    f.key,
                    f"{zh}：卡号有误（校验位不符），请核对银行卡后重新输入。",
                    f"{en}: the card number is wrong (its check digit does not match); "
                    "check the card and type it again.",
                )
            )
    return out


def _explain(err: jsonschema_rs.ValidationError, labels: dict[str, tuple[str, str]]) -> FormProblem:
    kind = err.kind
    path = [str(p) for p in err.instance_path]
    key = path[0] if path else ""
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        key = str(kind.property)
    zh, en = labels.get(key, (key or "表单", key or "the form"))
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        return FormProblem(key, f"请填写{zh}。", f"Please fill in {en}.")
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        extra = ", ".join(str(u) for u in kind.unexpected)
        return FormProblem(
            "",
            f"表单含有未定义的内容（{extra}），请重新填写。",
            f"The form holds fields it does not define ({extra}); please fill it in again.",
        )
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.MaxLength):
        return FormProblem(
            key, f"{zh}太长，最多{kind.limit}个字。", f"{en} is too long: at most {kind.limit}."
        )
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.MinLength):
        return FormProblem(key, f"请填写{zh}。", f"Please fill in {en}.")
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Enum):
        return FormProblem(key, f"请从列表中选择{zh}。", f"Choose {en} from the list.")
    return FormProblem(
        key, f"{zh}的格式不对，请检查后重新填写。", f"{en} is not in the right form: {err.message}"
    )


def _dupes(keys: list[str]) -> set[str]:
    seen: set[str] = set()
    return {k for k in keys if k in seen or seen.add(k)}  # type: ignore[func-returns-value]


#: what each ``from_card`` names in the ID card's fields (``protocols.idcard.text.IdCardText``)
CARD_FIELDS = {
    "name": "name",
    "id_number": "id_number",
    "sex": "sex",
    "nation": "nation",
    "birth": "birth_date",
    "address": "address",
}


def with_card(form: FormDef, data: Mapping[str, Any], card: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with the fields the ID card fills put in from ``card`` (the agent's full card,
    as strings; a date as ISO ``YYYY-MM-DD``): the browser never holds them, so whatever it
    sent for those fields is replaced."""
    out = dict(data)
    for f in form.fields():
        if f.from_card:
            value = card.get(CARD_FIELDS[f.from_card])
            if value is None:
                out.pop(f.key, None)
            else:
                out[f.key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return out
