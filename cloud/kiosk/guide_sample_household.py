"""Sample items of the 公安局 户政 (household registration and ID cards)."""

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

DEPT = "police"
BASIS = ["《中华人民共和国户口登记条例》", "《青海省户口登记管理规定》"]


def birth() -> Item:
    married = [{"marriage": "married"}]
    return item(
        "HH-BIRTH",
        "出生登记",
        "Birth registration of a newborn",
        DEPT,
        themes=["household", "birth"],
        service="residence",
        conditions=["新生儿父亲或母亲一方户籍在本辖区", "出生后一个月内申报(逾期的须说明原因)"],
        questions=[
            q(
                "marriage",
                "孩子父母的婚姻状况？",
                "Are the parents married to each other?",
                ("married", "婚内生育", "Married"),
                ("unmarried", "非婚生育", "Not married"),
            ),
            q(
                "follows",
                "孩子随谁落户？",
                "Whose household does the child join?",
                ("father", "随父亲", "The father's"),
                ("mother", "随母亲", "The mother's"),
            ),
        ],
        materials=[
            mat("birth_cert", "出生医学证明", "Medical birth certificate"),
            mat("parents_id", "父母双方居民身份证", "Both parents' ID cards"),
            mat("host_hukou", "随迁方居民户口簿", "Household booklet of the parent joined"),
            mat("marriage_cert", "父母结婚证", "Parents' marriage certificate", when=married),
            mat(
                "paternity",
                "亲子关系证明",
                "Proof of parentage",
                note="随父落户的非婚生子女",
                subs=[sub("具有资质的鉴定机构出具的亲子鉴定意见书")],
                when=[{"marriage": "unmarried", "follows": "father"}],
            ),
        ],
        forms=[form("birth-reg", "出生登记申报表")],
        review_points=[
            rp("核对出生医学证明编号真伪(全国出生医学证明核验系统)"),
            rp("姓名用字符合《通用规范汉字表》"),
            rp("非婚生随父落户的核查亲子鉴定意见书", when=[{"marriage": "unmarried"}]),
        ],
        legal_basis=BASIS,
        keywords=["新生儿落户", "上户口", "报户口"],
    )


def move_in() -> Item:
    spouse = [{"type": "spouse"}]
    kin = [{"type": "child"}, {"type": "parent"}]
    house = [{"type": "house"}]
    return item(
        "HH-MOVE-IN",
        "户口迁入(投靠、购房)",
        "Moving one's household registration here",
        DEPT,
        themes=["household"],
        time_limit_days=5,
        legal_limit_days=10,
        service="residence",
        conditions=["符合本地落户政策：夫妻、父母子女投靠，或在本地有合法稳定住所"],
        questions=[
            q(
                "type",
                "您以什么条件迁入？",
                "On what grounds do you move here?",
                ("spouse", "夫妻投靠", "Joining a spouse"),
                ("child", "子女投靠父母", "A child joining parents"),
                ("parent", "父母投靠子女", "Parents joining a child"),
                ("house", "购房落户", "Own a home here"),
            ),
        ],
        materials=[
            id_card(),
            hukou_book(),
            mat("host_hukou", "被投靠人居民户口簿", "Host's household booklet", when=spouse + kin),
            mat("marriage_cert", "结婚证", "Marriage certificate", when=spouse),
            mat(
                "kinship",
                "亲属关系证明",
                "Proof of kinship",
                subs=[
                    sub("户口簿能体现亲属关系的，无需另行提供"),
                    sub("不能体现的：出生医学证明，或原籍派出所出具的亲属关系证明"),
                ],
                when=kin,
            ),
            mat(
                "property",
                "不动产权证书",
                "Certificate of real estate ownership",
                form="original_and_copy",
                subs=[sub("商品房未办证的：网签购房合同及购房发票")],
                when=house,
            ),
        ],
        forms=[form("hukou-in", "户口迁入登记表")],
        review_points=[
            rp("通过户籍系统核查迁出地信息，避免一人多户"),
            rp("购房落户的核对不动产登记信息", when=house),
        ],
        legal_basis=BASIS,
        keywords=["迁户口", "落户", "准迁证"],
    )


def death() -> Item:
    return item(
        "HH-DEATH",
        "死亡注销户口",
        "Cancelling the registration of a deceased person",
        DEPT,
        themes=["household"],
        service="residence",
        conditions=["公民死亡后一个月内由其亲属或户主申报"],
        questions=[
            q(
                "place",
                "在哪里去世？",
                "Where did the person die?",
                ("hospital", "医疗机构内", "In a hospital"),
                ("home", "家中或其他地点", "At home or elsewhere"),
            ),
        ],
        materials=[
            mat("deceased_id", "死者居民身份证", "ID card of the deceased", note="交回注销"),
            hukou_book(),
            mat(
                "death_cert",
                "居民死亡医学证明(推断)书",
                "Medical certificate of death",
                subs=[
                    sub("医疗机构内死亡：医疗机构出具", "第四联交公安机关"),
                    sub("家中死亡：社区卫生服务机构或乡镇卫生院出具"),
                ],
            ),
            mat("applicant_id", "申报人居民身份证", "ID card of the declarant"),
        ],
        review_points=[rp("核对死亡医学证明与户籍信息一致；回收身份证")],
        legal_basis=BASIS,
        keywords=["销户", "去世", "注销户口"],
    )


def id_apply() -> Item:
    lost = [{"reason": "lost"}]
    return item(
        "HH-ID-CARD",
        "居民身份证申领、换领、补领",
        "Applying for, renewing or replacing a resident ID card",
        DEPT,
        themes=["household", "certificates"],
        time_limit_days=15,
        legal_limit_days=60,
        fees="首次申领、换领20元；补领40元；临时身份证10元",
        service="residence",
        conditions=["本地户籍居民"],
        questions=[
            q(
                "reason",
                "您为什么办理？",
                "Why do you apply?",
                ("first", "首次申领", "First card"),
                ("expire", "有效期满换领或损坏换领", "Expired or damaged"),
                ("lost", "丢失补领", "Lost"),
            ),
            q(
                "age",
                "申请人年龄？",
                "The applicant's age?",
                ("minor", "未满16周岁", "Under 16"),
                ("adult", "16周岁及以上", "16 or older"),
            ),
        ],
        materials=[
            hukou_book(),
            mat("old_card", "原居民身份证", "The old ID card", when=[{"reason": "expire"}]),
            mat(
                "guardian_id",
                "监护人居民身份证",
                "Guardian's ID card",
                note="未满16周岁须由监护人陪同",
                when=[{"age": "minor"}],
            ),
            mat(
                "loss_statement",
                "丢失声明",
                "Statement of loss",
                note="窗口现场填写，无需登报",
                required=False,
                when=lost,
            ),
        ],
        forms=[form("id-apply", "居民身份证申领登记表")],
        review_points=[
            rp("现场采集人像、指纹"),
            rp("补领的，核查是否为本人，防止冒领", when=lost),
        ],
        legal_basis=["《中华人民共和国居民身份证法》"],
        keywords=["身份证", "办身份证", "补办身份证", "换身份证"],
    )


def hukou_certificate() -> Item:
    return item(
        "HH-CERT",
        "户籍证明开具",
        "Certificate of household registration",
        DEPT,
        themes=["household", "certificates"],
        service="certificate",
        conditions=["本地户籍居民，证明事项可通过户籍档案核实"],
        questions=[who()],
        materials=[id_card(when=[{"who": "self"}]), hukou_book(), *proxy()],
        review_points=[rp("仅出具户籍档案能证明的事项，不出具亲属关系以外的推断")],
        legal_basis=["《公安部关于规范派出所出具证明工作的意见》"],
        keywords=["户籍证明", "开证明", "户口证明"],
    )


ITEMS = [birth, move_in, death, id_apply, hukou_certificate]
