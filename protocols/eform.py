"""Electronic forms (电子表单) as data: what the kiosk, the citizen's phone, the console and the
A4 print all render, and what every one of them validates the same way
(:func:`protocols.eform_check.form_problems`).

A form definition (:class:`FormDef`) is a JSON Schema (draft 2020-12) of the data — an object
whose properties are the fields — and a layout: sections of fields, each saying how the kiosk
takes it (which on-screen keyboard) and whether the ID card read at the kiosk fills it. A
definition is versioned: a filled form names the version it was filled against, and a new
version never changes what an older one accepted.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from protocols.guide import CODE_RE, PLAIN

__all__ = ["FIELD_KEY_RE", "CardField", "FieldInput", "FieldLayout", "FormDef", "Section"]


def _number_only(value: Any) -> Any:
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a number, not a boolean or a string")
    return value


#: for whole numbers given as JSON numbers: never a boolean or a numeric string; ``2.0`` is 2
#: (JSON Schema counts it as an integer, so a client may send it)
NUMBER_ONLY = BeforeValidator(_number_only)
#: a field's key: the property name in the schema and in the filled data
FIELD_KEY_RE = r"^[a-z][a-z0-9_]{0,39}$"

FieldKey = Annotated[str, Field(pattern=FIELD_KEY_RE)]
Label = Annotated[str, Field(min_length=1, max_length=120, pattern=PLAIN)]
LabelEn = Annotated[str, Field(max_length=200, pattern=PLAIN)]
Help = Annotated[str, Field(max_length=500, pattern=PLAIN)]

#: how the kiosk takes a field: ``text`` (free Chinese text: keep these few), the digit, ID
#: number, phone, letters-and-digits and bank-card keyboards, a date, a choice among the
#: schema's ``enum`` (``select``), a yes/no (``checkbox``), an amount in yuan
FieldInput = Literal[
    "text",
    "digits",
    "id_number",
    "phone",
    "alnum",
    "bank_card",
    "date",
    "select",
    "checkbox",
    "amount",
]
#: what the ID card read at the kiosk fills (the field is then shown read-only)
CardField = Literal["", "name", "id_number", "sex", "nation", "birth", "address"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldLayout(_Doc):
    key: FieldKey
    label: Label
    label_en: LabelEn = ""
    input: FieldInput = "text"
    from_card: CardField = ""
    help: Help = ""
    help_en: Help = ""
    #: width on the A4 print, in twelfths of the line
    span: Annotated[int, Field(ge=1, le=12), NUMBER_ONLY] = 12


class Section(_Doc):
    title: Label
    title_en: LabelEn = ""
    fields: Annotated[list[FieldLayout], Field(min_length=1, max_length=60)]


class FormDef(_Doc):
    """One version of one form. ``json_schema`` must be an ``object`` schema whose properties
    are exactly the laid-out fields (:func:`protocols.eform_check.definition_problems`)."""

    code: Annotated[str, Field(pattern=CODE_RE)]
    version: Annotated[int, Field(ge=1, le=1_000_000), NUMBER_ONLY]
    title: Label
    title_en: LabelEn = ""
    #: the department the form is submitted to (a catalogue department code), if any
    department: Annotated[str, Field(max_length=40, pattern=PLAIN)] = ""
    json_schema: dict[str, Any]
    sections: Annotated[list[Section], Field(min_length=1, max_length=30)]
    #: the signature lines under the A4 print (申请人签字, 日期)
    signatures: Annotated[list[Label], Field(max_length=6)] = []

    def fields(self) -> list[FieldLayout]:
        return [f for s in self.sections for f in s.fields]
