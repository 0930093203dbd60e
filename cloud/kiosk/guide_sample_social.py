"""Sample items of the 人社局 (social insurance, employment) and the 医保局."""

from __future__ import annotations

from cloud.kiosk.guide_sample_kit import (
    HHL,
    SOCIAL,
    TGLS,
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

SITES = [HHL, TGLS]  # the pilots with a social-insurance window
BANK = mat("bank_card", "本人社会保障卡或银行卡", "Social security or bank card", form="copy")


def pension_enrol() -> Item:
    return item(
        "SI-PENSION-ENROL",
        "城乡居民基本养老保险参保登记",
        "Enrolling in the urban and rural residents' pension insurance",
        "hrss",
        themes=["social_insurance", "elderly"],
        windows=SOCIAL,
        sites=SITES,
        service="pension",
        conditions=["年满16周岁(不含在校学生)", "未参加职工基本养老保险的本地户籍居民"],
        materials=[id_card(), hukou_book()],
        forms=[form("pension-enrol", "城乡居民基本养老保险参保登记表", template="pension-enrol")],
        review_points=[rp("通过全国社保系统核查未参加职工养老保险，防止重复参保")],
        legal_basis=["《国务院关于建立统一的城乡居民基本养老保险制度的意见》"],
        keywords=["养老保险", "参保", "新农保", "城乡居民养老"],
    )


def pension_claim() -> Item:
    return item(
        "SI-PENSION-CLAIM",
        "城乡居民养老保险待遇领取申请",
        "Claiming the residents' pension",
        "hrss",
        themes=["social_insurance", "elderly"],
        windows=SOCIAL,
        sites=SITES,
        time_limit_days=10,
        legal_limit_days=20,
        service="pension",
        conditions=["年满60周岁", "累计缴费满15年(制度实施时已年满45周岁的按规定补缴或领取)"],
        questions=[who()],
        materials=[
            id_card(),
            hukou_book(),
            BANK,
            mat("photo", "近期一寸白底证件照", "1-inch photo", required=False),
            *proxy(),
        ],
        forms=[form("pension-claim", "城乡居民基本养老保险待遇领取申请表")],
        review_points=[
            rp("核对出生日期与档案一致，防止篡改年龄"),
            rp("核查是否同时领取职工养老金"),
        ],
        legal_basis=["《国务院关于建立统一的城乡居民基本养老保险制度的意见》"],
        keywords=["领养老金", "退休", "养老金"],
    )


def survivor() -> Item:
    staff = [{"insured": "employee"}]
    return item(
        "SI-SURVIVOR",
        "参保人员死亡丧葬补助金、抚恤金申领",
        "Funeral grant and survivor's pension",
        "hrss",
        themes=["social_insurance"],
        windows=SOCIAL,
        sites=SITES,
        time_limit_days=10,
        legal_limit_days=20,
        service="pension",
        conditions=["参保人员死亡，由其直系亲属申领"],
        questions=[
            q(
                "insured",
                "逝者参加的是哪种养老保险？",
                "Which pension insurance did the deceased have?",
                ("employee", "职工基本养老保险", "Employees' pension"),
                ("resident", "城乡居民养老保险", "Residents' pension"),
            ),
        ],
        materials=[
            mat(
                "death_proof",
                "死亡证明",
                "Proof of death",
                subs=[
                    sub("居民死亡医学证明(推断)书"),
                    sub("或公安机关出具的注销户口证明"),
                    sub("或火化证明"),
                ],
            ),
            mat("applicant_id", "申领人居民身份证", "Claimant's ID card"),
            mat(
                "kinship",
                "与逝者的亲属关系证明",
                "Proof of kinship with the deceased",
                subs=[sub("户口簿能体现的无需另行提供")],
            ),
            mat("bank_card", "申领人银行卡", "Claimant's bank card", form="copy"),
            mat(
                "dependants",
                "供养直系亲属证明",
                "Proof of dependent relatives",
                note="申领抚恤金的",
                required=False,
                when=staff,
            ),
        ],
        forms=[form("survivor-claim", "丧葬补助金、抚恤金申领审批表")],
        review_points=[rp("核查死亡时间，停发次月起待遇，追回多发部分")],
        legal_basis=["《中华人民共和国社会保险法》第十七条"],
        keywords=["丧葬费", "抚恤金", "去世", "养老保险"],
    )


def pension_transfer() -> Item:
    return item(
        "SI-TRANSFER",
        "养老保险关系转移接续",
        "Transferring pension insurance records",
        "hrss",
        themes=["social_insurance"],
        windows=SOCIAL,
        sites=SITES,
        time_limit_days=15,
        legal_limit_days=45,
        service="pension",
        conditions=["跨统筹地区就业，已在转出地参保"],
        materials=[
            id_card(),
            mat(
                "transfer_cert",
                "参保缴费凭证",
                "Certificate of contributions",
                note="转出地社保经办机构开具；可通过国家社会保险公共服务平台申请，无需提供",
            ),
        ],
        forms=[form("transfer-apply", "基本养老保险关系转移接续申请表")],
        review_points=[rp("核对转出地缴费凭证与系统记录")],
        legal_basis=["《城镇企业职工基本养老保险关系转移接续暂行办法》"],
        keywords=["社保转移", "转社保"],
    )


def contribution_cert() -> Item:
    return item(
        "SI-CERT",
        "社会保险参保缴费证明打印",
        "Proof of social insurance contributions",
        "hrss",
        themes=["social_insurance", "certificates"],
        windows=SOCIAL,
        sites=SITES,
        service="pension",
        conditions=["本人参保缴费记录"],
        materials=[id_card()],
        review_points=[rp("仅向参保人本人或其委托人出具；打印件加盖业务专用章")],
        legal_basis=["《中华人民共和国社会保险法》第七十四条"],
        keywords=["社保证明", "缴费证明", "参保证明"],
    )


def unemployment() -> Item:
    return item(
        "SI-UNEMPLOYED",
        "失业登记及就业创业证申领",
        "Registering as unemployed; employment card",
        "hrss",
        themes=["employment"],
        windows=SOCIAL,
        sites=SITES,
        service="pension",
        conditions=["法定劳动年龄内、有劳动能力和就业要求、处于无业状态"],
        questions=[
            q(
                "before",
                "此前是否有工作？",
                "Were you employed before?",
                ("yes", "有，已解除劳动关系", "Yes, the job ended"),
                ("no", "没有(如毕业生、返乡人员)", "No (graduates, returnees)"),
            ),
        ],
        materials=[
            id_card(),
            mat(
                "termination",
                "解除或终止劳动关系证明",
                "Proof the employment ended",
                when=[{"before": "yes"}],
            ),
            mat("diploma", "毕业证书", "Diploma", required=False, when=[{"before": "no"}]),
        ],
        forms=[form("unemployed-reg", "失业登记表")],
        review_points=[rp("核查是否已在其他地区登记或已就业")],
        legal_basis=["《就业服务与就业管理规定》"],
        keywords=["失业", "就业创业证", "失业金"],
    )


def medical_enrol() -> Item:
    child = [{"who": "newborn"}, {"who": "student"}]
    return item(
        "MI-ENROL",
        "城乡居民基本医疗保险参保登记",
        "Enrolling in the residents' medical insurance",
        "medical",
        themes=["medical_insurance"],
        windows=SOCIAL,
        sites=SITES,
        fees="个人缴费按当年标准(困难群体由政府资助)",
        service="medical",
        conditions=["未参加职工基本医疗保险的本地户籍居民或持居住证人员"],
        questions=[
            q(
                "who",
                "为谁参保？",
                "Who is being insured?",
                ("newborn", "新生儿", "A newborn"),
                ("student", "在校学生", "A student"),
                ("resident", "其他城乡居民", "Another resident"),
                ("special", "低保、特困、残疾等资助对象", "A subsidised person"),
            ),
        ],
        materials=[
            hukou_book(),
            id_card(when=[{"who": "resident"}, {"who": "special"}]),
            mat(
                "birth_cert", "出生医学证明", "Medical birth certificate", when=[{"who": "newborn"}]
            ),
            mat("guardian_id", "监护人居民身份证", "Guardian's ID card", when=child),
            mat(
                "student_proof",
                "学籍证明",
                "Proof of enrolment at school",
                when=[{"who": "student"}],
                required=False,
            ),
            mat(
                "aid_proof",
                "资助身份证明",
                "Proof of entitlement",
                subs=[sub("低保证、特困供养证"), sub("残疾人证"), sub("民政部门出具的认定文书")],
                when=[{"who": "special"}],
            ),
        ],
        review_points=[
            rp("资助对象核对民政、残联推送名单"),
            rp("新生儿出生90日内参保的，自出生之日起享受待遇"),
        ],
        legal_basis=["《中华人民共和国社会保险法》第二十五条"],
        keywords=["医保", "合作医疗", "新农合", "参保"],
    )


def reimbursement() -> Item:
    return item(
        "MI-REIMBURSE",
        "医疗费用手工(零星)报销",
        "Reimbursement of medical costs paid in full",
        "medical",
        themes=["medical_insurance"],
        windows=SOCIAL,
        sites=SITES,
        time_limit_days=20,
        legal_limit_days=30,
        service="medical",
        conditions=["因急诊、异地未直接结算等原因全额垫付的合规医疗费用"],
        questions=[
            q(
                "care",
                "就医类型？",
                "Kind of treatment?",
                ("inpatient", "住院", "In-patient"),
                ("outpatient", "门诊(含门诊慢特病)", "Out-patient"),
            ),
            who(),
        ],
        materials=[
            mat("mi_card", "社会保障卡或医保电子凭证", "Social security card or medical e-card"),
            mat(
                "invoice",
                "医疗费用收费票据",
                "Receipts of the medical costs",
                note="电子票据可打印",
            ),
            mat("cost_list", "费用明细清单", "Itemised bill", subs=[sub("医院盖章")]),
            mat(
                "discharge", "出院记录(出院小结)", "Discharge summary", when=[{"care": "inpatient"}]
            ),
            mat(
                "prescription",
                "门诊病历及处方",
                "Out-patient records and prescriptions",
                when=[{"care": "outpatient"}],
            ),
            BANK,
            *proxy(),
        ],
        forms=[form("mi-claim", "医疗费用报销申请表")],
        review_points=[rp("核对票据真伪、是否已在其他渠道报销"), rp("剔除目录外费用")],
        legal_basis=["《医疗保障基金使用监督管理条例》"],
        keywords=["报销", "医药费", "住院报销"],
    )


def referral() -> Item:
    return item(
        "MI-REFERRAL",
        "异地就医备案",
        "Registering for medical treatment in another province",
        "medical",
        themes=["medical_insurance"],
        windows=SOCIAL,
        sites=SITES,
        service="medical",
        conditions=["异地长期居住、常驻异地工作、转诊转院或临时外出就医"],
        materials=[
            id_card(),
            mat(
                "residence_proof",
                "异地居住证明",
                "Proof of residence elsewhere",
                required=False,
                note="承诺制：可以个人承诺书代替",
                subs=[sub("居住证"), sub("或个人承诺书")],
            ),
        ],
        forms=[form("mi-referral", "异地就医登记备案表")],
        review_points=[rp("核对参保状态正常；备案有效期内可在备案地直接结算")],
        legal_basis=["《关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》"],
        keywords=["异地医保", "备案", "外地看病"],
    )


ITEMS = [
    pension_enrol,
    pension_claim,
    survivor,
    pension_transfer,
    contribution_cert,
    unemployment,
    medical_enrol,
    reimbursement,
    referral,
]
