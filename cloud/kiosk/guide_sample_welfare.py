"""Sample items of the 民政局: 低保, 特困, 临时救助, 高龄补贴, 老年优待."""

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
from protocols.guide import Item, Question

INCOME = mat(
    "income",
    "家庭收入及财产情况说明",
    "Statement of family income and assets",
    note="如实申报，签字并承诺",
    subs=[
        sub("工资性收入：单位出具的收入证明"),
        sub("经营性收入：经营情况说明"),
        sub("务农收入：种植、养殖情况由村委会核实"),
        sub("无收入的：本人书面承诺"),
    ],
)
AUTH = mat(
    "check_consent",
    "家庭经济状况核对授权书",
    "Consent to check family finances",
    note="共同生活的成年家庭成员均须签字",
)
ILL = mat(
    "illness",
    "重病、残疾证明",
    "Proof of serious illness or disability",
    subs=[sub("二级及以上医院的诊断证明和病历"), sub("残疾人证")],
    when=[{"hardship": "ill"}],
)


def hardship() -> Question:
    return q(
        "hardship",
        "家庭中是否有重病或残疾成员？",
        "Is a family member seriously ill or disabled?",
        ("ill", "有", "Yes"),
        ("none", "没有", "No"),
    )


def dibao() -> Item:
    return item(
        "CA-DIBAO",
        "最低生活保障申请(低保)",
        "Applying for the minimum living allowance",
        "civil",
        themes=["assistance"],
        time_limit_days=30,
        legal_limit_days=45,
        service="civil",
        conditions=[
            "持有本地户籍",
            "共同生活的家庭成员人均收入低于当地低保标准",
            "家庭财产状况符合当地规定",
        ],
        questions=[
            q(
                "area",
                "您的户籍类型？",
                "Urban or rural household?",
                ("urban", "城镇", "Urban"),
                ("rural", "农村", "Rural"),
            ),
            hardship(),
        ],
        materials=[
            id_card(),
            hukou_book(),
            mat("family_ids", "共同生活家庭成员身份证", "ID cards of family members", form="copy"),
            INCOME,
            AUTH,
            ILL,
            mat(
                "land",
                "土地承包经营权证或村委会出具的土地情况说明",
                "Land contract or village statement",
                when=[{"area": "rural"}],
            ),
        ],
        forms=[form("dibao-apply", "最低生活保障申请书")],
        review_points=[
            rp("入户调查，村(居)民代表民主评议并公示7天"),
            rp("通过居民家庭经济状况核对系统核查存款、车辆、房产、工商登记"),
            rp("核对重病、残疾证明，按规定增发", when=[{"hardship": "ill"}]),
        ],
        legal_basis=["《社会救助暂行办法》", "《最低生活保障审核确认办法》"],
        keywords=["低保", "最低生活保障", "困难补助"],
    )


def tekun() -> Item:
    return item(
        "CA-TEKUN",
        "特困人员救助供养申请",
        "Support for people in extreme poverty",
        "civil",
        themes=["assistance", "elderly"],
        time_limit_days=30,
        legal_limit_days=45,
        service="civil",
        conditions=[
            "无劳动能力、无生活来源、无法定赡养抚养扶养义务人或其无履行能力的老年人、残疾人及未成年人"
        ],
        questions=[
            q(
                "care",
                "选择哪种供养方式？",
                "How will the person be cared for?",
                ("home", "分散供养(在家)", "At home"),
                ("institution", "集中供养(敬老院)", "In a care home"),
            ),
            who(),
        ],
        materials=[
            id_card(),
            hukou_book(),
            INCOME,
            mat(
                "no_supporter",
                "无法定义务人或义务人无履行能力的说明",
                "Statement that no one is obliged or able to support",
                subs=[sub("义务人死亡的：死亡证明"), sub("义务人重残、重病的：残疾人证或诊断证明")],
            ),
            *proxy(),
        ],
        forms=[form("tekun-apply", "特困人员救助供养申请书")],
        review_points=[
            rp("评估生活自理能力，确定照料护理标准"),
            rp("集中供养的，与供养机构签订协议", when=[{"care": "institution"}]),
        ],
        legal_basis=["《社会救助暂行办法》第十四条", "《特困人员认定办法》"],
        keywords=["五保", "特困", "供养"],
    )


def temporary_aid() -> Item:
    return item(
        "CA-TEMP-AID",
        "临时救助申请",
        "Temporary assistance",
        "civil",
        themes=["assistance"],
        time_limit_days=10,
        legal_limit_days=15,
        service="civil",
        conditions=["因火灾、交通事故、突发重病等导致基本生活暂时出现严重困难"],
        materials=[
            id_card(),
            hukou_book(),
            mat(
                "emergency",
                "困难情况证明",
                "Proof of the emergency",
                subs=[
                    sub("火灾：消防部门火灾事故认定书"),
                    sub("交通事故：交警部门事故认定书"),
                    sub("重病：医院诊断证明及费用票据"),
                ],
            ),
            AUTH,
        ],
        forms=[form("temp-aid", "临时救助申请审批表")],
        review_points=[rp("情况紧急的可先行救助，事后补齐手续")],
        legal_basis=["《社会救助暂行办法》第四十七条"],
        keywords=["救助", "急难", "困难"],
    )


def elder_allowance() -> Item:
    centenarian = [{"age": "100"}]
    return item(
        "CA-ELDER-ALLOWANCE",
        "高龄补贴申领",
        "Old-age allowance for people aged 80 and over",
        "civil",
        themes=["elderly"],
        time_limit_days=15,
        legal_limit_days=20,
        fees="不收费；补贴标准：80-89周岁每月100元，90-99周岁每月200元，100周岁及以上每月500元",
        service="civil",
        conditions=["本地户籍", "年满80周岁(自达到年龄的次月起享受)"],
        questions=[
            q(
                "age",
                "老人年龄？",
                "The person's age?",
                ("80", "80-89周岁", "80 to 89"),
                ("90", "90-99周岁", "90 to 99"),
                ("100", "100周岁及以上", "100 or older"),
            ),
            who(),
        ],
        materials=[
            id_card(),
            hukou_book(),
            mat(
                "bank_card",
                "老人本人社会保障卡或银行卡",
                "The person's social security or bank card",
                form="copy",
            ),
            mat(
                "age_check",
                "年龄核实材料",
                "Proof of age",
                note="百岁老人须核实出生年月",
                subs=[sub("户籍档案记载"), sub("或老人的婚姻登记、子女出生记录等佐证")],
                when=centenarian,
            ),
            *proxy(),
        ],
        forms=[form("elder-allowance", "高龄老人补贴申请表")],
        review_points=[
            rp("以身份证出生日期为准；与户籍系统核对"),
            rp("百岁老人须入户核实健在及年龄", when=centenarian),
            rp("每年进行一次生存认证(可人脸识别)"),
        ],
        legal_basis=[
            "《中华人民共和国老年人权益保障法》第三十三条",
            "《青海省高龄补贴发放管理办法》",
        ],
        keywords=["高龄津贴", "老年补贴", "80岁", "长寿补贴"],
    )


def elder_card() -> Item:
    return item(
        "CA-ELDER-CARD",
        "老年人优待证办理",
        "Senior citizen's preferential card",
        "civil",
        themes=["elderly"],
        service="civil",
        conditions=["年满60周岁的本地户籍老人或持居住证的常住老人"],
        questions=[who()],
        materials=[
            id_card(),
            mat("photo", "近期一寸白底证件照", "1-inch photo"),
            *proxy(),
        ],
        review_points=[rp("核对年龄；优待证与身份证信息一致")],
        legal_basis=["《中华人民共和国老年人权益保障法》第五十七条"],
        keywords=["老年证", "老年优待", "乘车优惠"],
    )


ITEMS = [dibao, tekun, temporary_aid, elder_allowance, elder_card]
