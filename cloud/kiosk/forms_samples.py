"""The e-forms the forms feature ships (``SEED_FORMS``): a 个人信息登记表 any counter may ask
for, and the 城乡居民基本养老保险参保登记表 the sample catalogue's item names
(``pension-enrol``). Both are real-shaped: the fields a hall's paper form has."""

from __future__ import annotations

from typing import Any

from protocols.eform import FieldLayout, FormDef, Section

_PHONE = r"^1[3-9][0-9]{9}$"
_ID = r"^[0-9]{17}[0-9Xx]$"


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def _person_fields() -> list[FieldLayout]:
    return [
        FieldLayout(key="name", label="姓名", label_en="Name", from_card="name", span=4),
        FieldLayout(key="sex", label="性别", label_en="Sex", from_card="sex", span=2),
        FieldLayout(
            key="birth",
            label="出生日期",
            label_en="Date of birth",
            from_card="birth",
            input="date",
            span=6,
        ),
        FieldLayout(
            key="id_number",
            label="公民身份号码",
            label_en="ID number",
            from_card="id_number",
            input="id_number",
            span=12,
        ),
    ]


PERSONAL_INFO = FormDef(
    code="personal-info",
    version=1,
    title="个人信息登记表",
    title_en="Personal information form",
    json_schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "id_number", "phone", "address"],
        "properties": {
            "name": _text(30),
            "sex": {"type": "string", "maxLength": 2},
            "birth": {"type": "string", "format": "date"},
            "id_number": {"type": "string", "pattern": _ID},
            "phone": {"type": "string", "pattern": _PHONE},
            "address": _text(120),
            "work_unit": {"type": "string", "maxLength": 60},
            "email": {"type": "string", "maxLength": 60, "pattern": r"^$|^[^@\s]+@[^@\s]+$"},
            "purpose": _text(100),
        },
    },
    sections=[
        Section(title="基本信息", title_en="About you", fields=_person_fields()),
        Section(
            title="联系方式",
            title_en="How to reach you",
            fields=[
                FieldLayout(
                    key="phone",
                    label="手机号码",
                    label_en="Mobile phone",
                    input="phone",
                    span=6,
                    help="11 位手机号码",
                    help_en="11-digit mobile number",
                ),
                FieldLayout(key="email", label="电子邮箱", label_en="Email", input="alnum", span=6),
                FieldLayout(key="address", label="现住址", label_en="Current address"),
                FieldLayout(key="work_unit", label="工作单位", label_en="Employer"),
            ],
        ),
        Section(
            title="办理事项",
            title_en="What it is for",
            fields=[FieldLayout(key="purpose", label="登记用途", label_en="Purpose")],
        ),
    ],
    signatures=["申请人签字", "日期"],
)

PENSION_ENROL = FormDef(
    code="pension-enrol",
    version=1,
    title="城乡居民基本养老保险参保登记表",
    title_en="Urban and rural residents' basic pension: enrolment form",
    department="hrss",
    json_schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "id_number", "phone", "hukou_address", "hukou_type", "grade"],
        "properties": {
            "name": _text(30),
            "sex": {"type": "string", "maxLength": 2},
            "birth": {"type": "string", "format": "date"},
            "id_number": {"type": "string", "pattern": _ID},
            "phone": {"type": "string", "pattern": _PHONE},
            "hukou_address": _text(120),
            "hukou_type": {"type": "string", "enum": ["农业", "非农业"]},
            "grade": {"type": "integer", "enum": [200, 300, 400, 500, 600, 800, 1000, 2000]},
            "bank_card": {"type": "string", "pattern": r"^$|^[0-9]{12,19}$"},
            "special": {"type": "boolean"},
        },
    },
    sections=[
        Section(title="参保人信息", title_en="The insured", fields=_person_fields()),
        Section(
            title="户籍与联系方式",
            title_en="Household registration and contact",
            fields=[
                FieldLayout(
                    key="hukou_type",
                    label="户籍性质",
                    label_en="Hukou type",
                    input="select",
                    span=4,
                ),
                FieldLayout(key="phone", label="联系电话", label_en="Phone", input="phone", span=8),
                FieldLayout(key="hukou_address", label="户籍地址", label_en="Registered address"),
            ],
        ),
        Section(
            title="缴费信息",
            title_en="Contributions",
            fields=[
                FieldLayout(
                    key="grade",
                    label="缴费档次（元/年）",
                    label_en="Contribution grade (yuan a year)",
                    input="select",
                    span=6,
                ),
                FieldLayout(
                    key="bank_card",
                    label="社保卡银行账号",
                    label_en="Bank account of the social security card",
                    input="bank_card",
                    span=6,
                    help="用于代扣缴费，可不填",
                    help_en="For direct debit; optional",
                ),
                FieldLayout(
                    key="special",
                    label="属于重度残疾人等困难群体",
                    label_en="Severely disabled or in hardship",
                    input="checkbox",
                    help="政府代缴部分或全部最低标准保费",
                    help_en="The government pays part or all of the minimum grade",
                ),
            ],
        ),
    ],
    signatures=["参保人签字（手印）", "经办人", "日期"],
)
