"""Sample items of the 残联 (残疾人) and the 卫健委 (计划生育)."""

from __future__ import annotations

from cloud.kiosk.guide_sample_kit import (
    form,
    hukou_book,
    id_card,
    item,
    mat,
    proxy,
    q,
    rp,
    sub,
    who,
)
from protocols.guide import Item


def disability_card() -> Item:
    mental = [{"type": "mental"}]
    return item(
        "DP-CARD",
        "残疾人证办理(新办、换领、迁移)",
        "Disability certificate",
        "disabled",
        themes=["disability"],
        time_limit_days=20,
        legal_limit_days=30,
        service="civil",
        conditions=["持本地户籍，符合残疾评定标准"],
        questions=[
            q(
                "type",
                "残疾类别？",
                "Kind of disability?",
                ("physical", "肢体", "Physical"),
                ("visual", "视力", "Visual"),
                ("hearing", "听力、言语", "Hearing or speech"),
                ("mental", "智力、精神", "Intellectual or mental"),
            ),
            who(),
        ],
        materials=[
            id_card(),
            hukou_book(),
            mat("photo", "近期两寸白底彩色证件照", "2-inch photo", copies=3),
            mat(
                "medical",
                "相关病历资料",
                "Medical records",
                subs=[
                    sub("精神类：二级及以上精神专科医院病历", "须住院或门诊治疗半年以上"),
                    sub("智力类：智力测评报告(18周岁以下)"),
                ],
                when=mental,
            ),
            mat(
                "guardian",
                "监护人身份证明及监护关系证明",
                "Guardian's ID and proof of guardianship",
                when=mental,
            ),
            *proxy(),
        ],
        forms=[form("disability-apply", "残疾人证申请表")],
        review_points=[
            rp("由指定医疗机构评定残疾类别和等级"),
            rp("智力、精神残疾须监护人陪同", when=mental),
        ],
        legal_basis=["《中华人民共和国残疾人保障法》", "《中华人民共和国残疾人证管理办法》"],
        keywords=["残疾证", "残联", "评残"],
    )


def disability_allowance() -> Item:
    return item(
        "DP-ALLOWANCE",
        "困难残疾人生活补贴和重度残疾人护理补贴",
        "Living and nursing allowances for disabled people",
        "disabled",
        themes=["disability", "assistance"],
        time_limit_days=20,
        legal_limit_days=30,
        service="civil",
        conditions=["持第二代残疾人证", "生活补贴：低保家庭；护理补贴：残疾等级一、二级"],
        materials=[
            id_card(),
            mat("disability_cert", "第二代残疾人证", "Disability certificate"),
            mat(
                "dibao_proof",
                "低保证明",
                "Proof of minimum living allowance",
                required=False,
                note="申请生活补贴的",
            ),
            mat("bank_card", "本人银行卡", "Bank card", form="copy"),
        ],
        forms=[form("disability-allowance", "残疾人两项补贴申请审批表")],
        review_points=[rp("核对全国残疾人两项补贴信息系统，防止重复享受")],
        legal_basis=["《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》"],
        keywords=["两项补贴", "残疾补贴", "护理补贴"],
    )


def birth_registration() -> Item:
    return item(
        "FP-BIRTH",
        "生育登记服务",
        "Registering a birth plan",
        "health",
        themes=["birth"],
        service="certificate",
        conditions=["夫妻一方户籍在本地或在本地居住"],
        questions=[
            q(
                "order",
                "本次登记的是第几个孩子？",
                "Which child is this?",
                ("first", "一孩", "The first"),
                ("second", "二孩", "The second"),
                ("third", "三孩", "The third"),
            ),
        ],
        materials=[
            mat("couple_ids", "夫妻双方居民身份证", "ID cards of the couple"),
            mat("marriage_cert", "结婚证", "Marriage certificate"),
            mat(
                "children",
                "现有子女出生医学证明或户口簿",
                "Birth certificates of existing children",
                when=[{"order": "second"}, {"order": "third"}],
            ),
        ],
        review_points=[rp("信息登记，不作为审批；当场办结")],
        legal_basis=["《中华人民共和国人口与计划生育法》"],
        keywords=["计生", "准生证", "生育服务证"],
    )


def family_reward() -> Item:
    return item(
        "FP-REWARD",
        "农村部分计划生育家庭奖励扶助",
        "Reward for rural family-planning households",
        "health",
        themes=["birth", "elderly"],
        time_limit_days=30,
        legal_limit_days=60,
        service="civil",
        conditions=["农村户籍，1973年至2001年间只生育一个子女或两个女孩", "年满60周岁"],
        materials=[
            id_card(),
            hukou_book(),
            mat("marriage_cert", "结婚证", "Marriage certificate", required=False),
            mat(
                "one_child",
                "生育情况证明",
                "Proof of births",
                subs=[sub("独生子女父母光荣证"), sub("或村委会出具、乡镇审核的生育情况证明")],
            ),
        ],
        forms=[form("fp-reward", "农村部分计划生育家庭奖励扶助对象申报表")],
        review_points=[rp("村级初审公示，乡级复审公示，县级审批")],
        legal_basis=["《农村部分计划生育家庭奖励扶助制度试点方案》"],
        keywords=["计生奖扶", "独生子女", "奖扶"],
    )


ITEMS = [disability_card, disability_allowance, birth_registration, family_reward]
