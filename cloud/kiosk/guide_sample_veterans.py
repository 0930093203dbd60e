"""Sample items of the 退役军人事务局 (the three the seed names, and their neighbours)."""

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
from protocols.guide import Item, Material

DEPT = "veterans"
PARTY = [{"member": "party"}]
LEAGUE = [{"member": "league"}]
JOINS = [{"where": "spouse"}, {"where": "parents"}]
DISABLED = [{"kind": "disabled"}]
DISCHARGE = mat(
    "discharge_cert",
    "退出现役证明",
    "Certificate of discharge from active service",
    note="《士兵退出现役证》或《军官(文职干部)退出现役证明》",
    subs=[
        sub("士兵：《士兵退出现役证》", "义务兵、士官均为此证"),
        sub("军官、文职干部：《军官(文职干部)退出现役证明》"),
        sub("证件遗失的", "提供原部队或军队人力资源部门出具的退役证明"),
    ],
)


def _transfer_materials() -> list[Material]:
    return [
        id_card(),
        DISCHARGE,
        mat(
            "party_letter",
            "中国共产党党员组织关系介绍信",
            "Party membership transfer letter",
            note="原部队开具，须在有效期内",
            when=PARTY,
        ),
        mat(
            "party_file",
            "党员档案材料",
            "Party member file",
            note="随档案转递的入党志愿书、转正申请等",
            subs=[sub("入党志愿书"), sub("预备党员转正申请及转正审批表")],
            when=PARTY,
        ),
        mat(
            "employer_letter",
            "接收单位出具的接收函",
            "Acceptance letter of the employer",
            when=[{"member": "party", "to": "employer"}],
        ),
        mat("league_letter", "团员组织关系介绍信", "League transfer letter", when=LEAGUE),
    ]


def transfer() -> Item:
    return item(
        "VET-ORG-TRANSFER",
        "退役军人组织关系转移",
        "Transfer of a veteran's Party or League membership",
        DEPT,
        themes=["veterans"],
        time_limit_days=1,
        legal_limit_days=5,
        service="civil",
        conditions=[
            "已办理退役报到的中共党员或共青团员",
            "组织关系由原部队开具，转入户籍所在地社区(村)党组织或接收单位党组织",
        ],
        questions=[
            q(
                "member",
                "您的政治面貌是？",
                "Are you a member of the Party or of the League?",
                ("party", "中共党员(含预备党员)", "Communist Party member (incl. probationary)"),
                ("league", "共青团员", "Communist Youth League member"),
            ),
            q(
                "to",
                "组织关系转入哪里？",
                "Where does the membership go?",
                ("community", "户籍地社区(村)党组织", "The community or village of residence"),
                ("employer", "已落实的工作单位", "The employer that hired you"),
                when=PARTY,
            ),
        ],
        materials=_transfer_materials(),
        forms=[form("vet-org-form", "退役军人党员组织关系接转登记表", when=PARTY)],
        review_points=[
            rp("核对介绍信抬头与转入党组织名称一致，介绍信在有效期内"),
            rp("核对退役证件姓名、身份证号与介绍信一致"),
            rp("预备党员须核对预备期起算时间", when=PARTY),
        ],
        legal_basis=["《中国共产党党员组织关系接转办法》", "《退役军人保障法》第二十条"],
        keywords=["党组织关系", "团组织关系", "退伍", "转业"],
    )


def _settle_materials() -> list[Material]:
    return [
        DISCHARGE,
        mat(
            "settle_letter",
            "退役军人落户介绍信",
            "Settlement letter",
            note="安置地县级退役军人事务局开具",
        ),
        mat(
            "enlist_cancel",
            "入伍时注销户口证明",
            "Proof the household registration was cancelled at enlistment",
            note="原户籍派出所出具；档案中有的不必另行提供",
            required=False,
        ),
        mat(
            "job_letter",
            "安置单位接收证明",
            "Employer's acceptance",
            when=[{"placement": "assigned"}],
        ),
        mat("marriage_cert", "结婚证", "Marriage certificate", when=[{"where": "spouse"}]),
        mat(
            "host_hukou",
            "被投靠人居民户口簿",
            "Household booklet of the spouse or parents",
            when=JOINS,
        ),
        mat(
            "kinship",
            "亲属关系证明",
            "Proof of kinship",
            subs=[sub("出生医学证明"), sub("或村(居)委会、派出所出具的亲属关系证明")],
            when=[{"where": "parents"}],
        ),
        mat("photo", "近期一寸白底证件照", "Recent 1-inch photo", copies=2),
    ]


def settle() -> Item:
    return item(
        "VET-HUKOU",
        "退役军人落户",
        "Household registration of a veteran",
        "police",
        themes=["veterans", "household"],
        time_limit_days=0,
        legal_limit_days=3,
        service="residence",
        conditions=["持有安置地退役军人事务部门开具的落户介绍信", "在退役报到后规定期限内办理"],
        questions=[
            q(
                "placement",
                "您的安置方式是？",
                "How are you placed?",
                ("self", "自主就业", "Self-employment"),
                ("assigned", "安排工作", "Assigned a job"),
                ("retired", "退休、供养", "Retirement or support"),
            ),
            q(
                "where",
                "在哪里落户？",
                "Where will you register?",
                ("origin", "入伍前户籍所在地", "Where you were registered before enlisting"),
                ("spouse", "随配偶落户", "With your spouse"),
                ("parents", "随父母落户", "With your parents"),
            ),
        ],
        materials=_settle_materials(),
        forms=[form("hukou-in", "户口迁入登记表")],
        review_points=[
            rp("落户介绍信与退出现役证件信息一致"),
            rp("随迁落户的，核对被投靠人户籍及亲属关系", when=JOINS),
        ],
        legal_basis=["《中华人民共和国户口登记条例》", "《退役士兵安置条例》第十四条"],
        keywords=["退伍落户", "转业落户", "户口"],
    )


def _benefit_materials() -> list[Material]:
    return [
        id_card(),
        hukou_book(),
        DISCHARGE,
        mat(
            "disability_cert",
            "中华人民共和国残疾军人证",
            "Disabled serviceman certificate",
            when=DISABLED,
        ),
        mat(
            "service_proof",
            "服役及相关经历证明",
            "Proof of service",
            note="档案记载或原部队证明",
            subs=[
                sub("参战：档案中参战记载或参战部队证明"),
                sub("参试：参加核试验的部队或单位证明"),
                sub("带病回乡：退伍时患病的部队医院诊断证明"),
            ],
            when=[{"kind": "combat"}, {"kind": "ill"}, {"kind": "returned"}],
        ),
        mat(
            "bank_card",
            "本人社会保障卡或银行卡",
            "Social security card or bank card in your name",
            form="copy",
        ),
        *proxy(),
    ]


def benefit() -> Item:
    return item(
        "VET-BENEFIT",
        "退役军人待遇申领",
        "Claiming a veteran's benefits",
        DEPT,
        themes=["veterans", "assistance"],
        time_limit_days=20,
        legal_limit_days=30,
        service="civil",
        conditions=[
            "户籍在本县(市)的优抚对象",
            "符合伤残抚恤、在乡复员军人定期补助、带病回乡或参战参试定期生活补助条件",
        ],
        questions=[
            q(
                "kind",
                "您申领哪类待遇？",
                "Which benefit?",
                ("disabled", "伤残抚恤金", "Disability pension"),
                ("returned", "在乡复员军人定期补助", "Subsidy for demobilised veterans"),
                ("ill", "带病回乡退伍军人补助", "Subsidy for veterans who returned ill"),
                ("combat", "参战参试人员补助", "Subsidy for combat or test veterans"),
            ),
            who(),
        ],
        materials=_benefit_materials(),
        forms=[form("vet-benefit", "优抚对象定期抚恤补助申请表")],
        review_points=[
            rp("通过全国优抚信息系统核查是否已享受同类待遇，防止重复享受"),
            rp("残疾等级与抚恤标准对应", when=DISABLED),
            rp("代办的，核对委托书签字与申请人一致", when=[{"who": "agent"}]),
        ],
        legal_basis=["《军人抚恤优待条例》", "《伤残抚恤管理办法》"],
        keywords=["抚恤", "优抚", "定补", "退伍军人补助"],
    )


def honor() -> Item:
    return item(
        "VET-HONOR-PLAQUE",
        "光荣牌悬挂申请",
        "Honour plaque for a veteran's family",
        DEPT,
        themes=["veterans"],
        time_limit_days=5,
        legal_limit_days=10,
        service="civil",
        conditions=["户籍在本地的退役军人、现役军人家庭、烈属、军属"],
        materials=[id_card(), hukou_book(), DISCHARGE],
        forms=[form("honor-plaque", "光荣牌悬挂信息登记表")],
        review_points=[rp("核对退役军人信息采集系统中已有记录")],
        legal_basis=["《关于做好为烈属、军属和退役军人等家庭悬挂光荣牌工作的通知》"],
        keywords=["光荣之家"],
    )


def preferential_card() -> Item:
    return item(
        "VET-CARD",
        "退役军人优待证申领",
        "Veteran's preferential treatment card",
        DEPT,
        themes=["veterans"],
        time_limit_days=15,
        legal_limit_days=30,
        service="civil",
        conditions=["已完成信息采集的退役军人及其他优抚对象"],
        materials=[
            id_card(),
            DISCHARGE,
            mat(
                "photo_e",
                "近期白底免冠彩色证件照电子版",
                "Recent photo (electronic)",
                form="electronic",
                note="可在窗口现场拍摄",
            ),
            mat(
                "bank_card",
                "本人社会保障卡或银行卡",
                "Social security card or bank card in your name",
                form="copy",
                note="优待证可选择加载金融功能",
                required=False,
            ),
        ],
        review_points=[rp("核对信息采集记录与身份证、退役证件一致")],
        legal_basis=["《退役军人、其他优抚对象优待证管理办法(试行)》"],
        keywords=["优待证", "退役军人证"],
    )


def register() -> Item:
    return item(
        "VET-REPORT",
        "退役士兵报到及信息采集",
        "Reporting in and registration of a discharged soldier",
        DEPT,
        themes=["veterans"],
        service="civil",
        conditions=["退出现役后30日内到安置地退役军人事务部门报到"],
        materials=[id_card(), DISCHARGE, mat("photo", "近期一寸白底证件照", "1-inch photo")],
        forms=[form("vet-info", "退役军人和其他优抚对象信息采集表")],
        review_points=[rp("超出30日报到的，记录原因")],
        legal_basis=["《退役军人保障法》第二十一条"],
        keywords=["报到", "信息采集", "退伍报到"],
    )


ITEMS = [transfer, settle, benefit, honor, preferential_card, register]
