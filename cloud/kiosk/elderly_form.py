"""The 青海省高龄补贴登记表 (Qinghai old-age allowance registration form) as an e-form
definition: the applicant's identity from the ID card read at the kiosk, how to reach them,
the community that reviews the application, and the bank card the allowance is paid to (its
Luhn digit checked by :func:`protocols.eform_check.form_problems`). Shipped in ``SEED_FORMS``;
the console may publish a later version of it (``current_form``).
"""

from __future__ import annotations

from protocols.eform import FieldLayout, FormDef, Section

CODE = "qh_elderly_allowance"

#: the communities (社区) of Golmud's street offices that review an application
COMMUNITIES = [
    "昆仑路街道",
    "黄河路街道",
    "金峰路街道",
    "河西街道",
    "西藏路街道",
    "唐古拉山镇",
    "郭勒木德镇",
]
#: the banks the 民政局 pays the allowance through (one-card 一卡通 accounts)
BANKS = [
    "中国农业银行",
    "中国工商银行",
    "中国建设银行",
    "中国邮政储蓄银行",
    "青海银行",
    "格尔木农村商业银行",
]

_PLAIN_TEXT = {"type": "string", "minLength": 1, "maxLength": 120}

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "name",
        "id_number",
        "sex",
        "birth",
        "address",
        "phone",
        "community",
        "bank",
        "bank_card",
        "account_holder",
        "declare",
    ],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 30},
        "id_number": {"type": "string", "pattern": "^[0-9]{17}[0-9X]$"},
        "sex": {"type": "string", "enum": ["男", "女"]},
        "birth": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "address": _PLAIN_TEXT,
        "phone": {"type": "string", "pattern": "^1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$"},
        "community": {"type": "string", "enum": COMMUNITIES},
        "bank": {"type": "string", "enum": BANKS},
        "bank_card": {"type": "string", "pattern": "^[0-9]{12,19}$"},
        "account_holder": {"type": "string", "minLength": 1, "maxLength": 30},
        "declare": {"type": "boolean", "const": True},
    },
}

F = FieldLayout
ELDERLY_FORM = FormDef(
    code=CODE,
    version=1,
    title="青海省高龄补贴登记表",
    title_en="Qinghai old-age allowance registration",
    department="民政局",
    json_schema=SCHEMA,
    sections=[
        Section(
            title="申请人信息",
            title_en="Applicant",
            fields=[
                F(key="name", label="姓名", label_en="Name", from_card="name", span=4),
                F(key="sex", label="性别", label_en="Sex", from_card="sex", span=2),
                F(key="birth", label="出生日期", label_en="Born", from_card="birth", span=6),
                F(
                    key="id_number",
                    label="公民身份号码",
                    label_en="ID number",
                    input="id_number",
                    from_card="id_number",
                ),
                F(
                    key="address",
                    label="户籍地址",
                    label_en="Registered address",
                    from_card="address",
                ),
            ],
        ),
        Section(
            title="联系方式与受理社区",
            title_en="Contact and reviewing community",
            fields=[
                F(
                    key="phone",
                    label="联系电话",
                    label_en="Phone",
                    input="phone",
                    help="本人或家属的手机号码，用于通知审核结果。",
                    help_en="Your or a relative's mobile number, for the review's result.",
                    span=6,
                ),
                F(
                    key="community",
                    label="户籍所在街道（乡镇）",
                    label_en="Street office or township",
                    input="select",
                    span=6,
                ),
            ],
        ),
        Section(
            title="补贴发放账户",
            title_en="Account the allowance is paid to",
            fields=[
                F(key="bank", label="开户银行", label_en="Bank", input="select", span=6),
                F(
                    key="account_holder",
                    label="持卡人（须为本人）",
                    label_en="Card holder (yourself)",
                    from_card="name",
                    span=6,
                ),
                F(
                    key="bank_card",
                    label="银行卡号",
                    label_en="Bank card number",
                    input="bank_card",
                    help="请输入本人社保卡或一卡通银行卡的卡号（12-19位数字）。",
                    help_en="The number of your own social security or 一卡通 bank card "
                    "(12 to 19 digits).",
                ),
            ],
        ),
        Section(
            title="申请人承诺",
            title_en="Declaration",
            fields=[
                F(
                    key="declare",
                    label="本人承诺以上信息真实有效，如有虚假愿承担相应责任",
                    label_en="I declare the above is true and accept the consequences if not",
                    input="checkbox",
                )
            ],
        ),
    ],
    signatures=["申请人签字（手印）", "受理日期"],
)
