"""The e-forms the self-service application (自助申报) ships: the 城乡居民基本养老保险待遇领取申请表
the sample catalogue's ``SI-PENSION-CLAIM`` names, and a general 自助申报申请表 for every item
whose own form has no definition yet (the kiosk can then still take the application: the
clerk reads the item's own form from the scanned materials).

Both are in :data:`cloud.kiosk.forms_seed.SEED_FORMS`; the console may publish newer versions.
"""

from __future__ import annotations

from protocols.eform import FieldLayout, FormDef, Section

#: the form of an item whose own form has no definition
GENERAL_CODE = "apply-general"

_PHONE = {"type": "string", "pattern": "^1[3-9][0-9]{9}$", "title": "手机号码"}
_CARD_TEXT = {"type": "string", "maxLength": 120}


def _applicant() -> Section:
    return Section(
        title="申请人信息",
        title_en="Applicant",
        fields=[
            FieldLayout(key="name", label="姓名", label_en="Name", from_card="name", span=6),
            FieldLayout(
                key="id_number",
                label="公民身份号码",
                label_en="ID number",
                input="id_number",
                from_card="id_number",
                span=6,
            ),
            FieldLayout(
                key="phone",
                label="手机号码",
                label_en="Mobile phone",
                input="phone",
                help="用于接收办理结果短信",
                help_en="The result is sent to this number by SMS",
                span=6,
            ),
            FieldLayout(
                key="address", label="户籍地址", label_en="Address", from_card="address", span=12
            ),
        ],
    )


GENERAL = FormDef(
    code=GENERAL_CODE,
    version=1,
    title="自助申报申请表",
    title_en="Self-service application",
    json_schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "id_number", "phone"],
        "properties": {
            "name": _CARD_TEXT,
            "id_number": {"type": "string", "pattern": "^[0-9]{17}[0-9X]$"},
            "phone": _PHONE,
            "address": _CARD_TEXT,
            "note": {"type": "string", "maxLength": 200},
        },
    },
    sections=[
        _applicant(),
        Section(
            title="申请说明",
            title_en="About the application",
            fields=[
                FieldLayout(
                    key="note",
                    label="补充说明（可不填）",
                    label_en="Anything to add (optional)",
                    help="最多 200 字",
                    help_en="At most 200 characters",
                )
            ],
        ),
    ],
    signatures=["申请人签字", "日期"],
)

BANKS = ["中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "青海银行", "农村信用社"]

PENSION_CLAIM = FormDef(
    code="pension-claim",
    version=1,
    title="城乡居民基本养老保险待遇领取申请表",
    title_en="Application for the residents' pension",
    department="hrss",
    json_schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "id_number", "phone", "bank", "bank_card"],
        "properties": {
            "name": _CARD_TEXT,
            "id_number": {"type": "string", "pattern": "^[0-9]{17}[0-9X]$"},
            "phone": _PHONE,
            "address": _CARD_TEXT,
            "bank": {"type": "string", "enum": BANKS},
            "bank_card": {"type": "string", "pattern": "^[0-9]{12,19}$"},
        },
    },
    sections=[
        _applicant(),
        Section(
            title="待遇发放账户",
            title_en="Account the pension is paid into",
            fields=[
                FieldLayout(key="bank", label="开户银行", label_en="Bank", input="select", span=6),
                FieldLayout(
                    key="bank_card",
                    label="银行卡号或社会保障卡号",
                    label_en="Bank or social security card number",
                    input="bank_card",
                    span=6,
                ),
            ],
        ),
    ],
    signatures=["申请人签字", "日期"],
)
