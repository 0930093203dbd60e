"""Sample items of village life: 农村建房 (农业农村局 and 自然资源局), 宅基地 registration
(不动产登记中心, at Huanghe Road only) and the farmland subsidy."""

from __future__ import annotations

from cloud.kiosk.guide_sample_kit import (
    ESTATE,
    HHL,
    form,
    hukou_book,
    id_card,
    item,
    mat,
    q,
    rp,
    sub,
)
from protocols.guide import Item, Material

NEW_SITE = [{"build": "new"}]
FARMLAND = [{"farmland": "yes"}]


def _house_materials() -> list[Material]:
    return [
        id_card(),
        hukou_book(),
        mat(
            "village_opinion",
            "村民小组及村委会意见",
            "Opinion of the village group and committee",
            note="须经村民会议或村民代表会议讨论通过并公示",
            subs=[sub("村民会议记录"), sub("公示照片及公示期满无异议说明")],
        ),
        mat(
            "plan",
            "农村宅基地和建房(规划许可)申请表及建房设计图",
            "Application and house drawings",
            subs=[sub("可选用县级部门提供的通用图集"), sub("二层以上须有资质单位设计")],
        ),
        mat(
            "old_plot",
            "原宅基地权属证明",
            "Title to the old plot",
            subs=[sub("宅基地使用权证或不动产权证"), sub("交回旧宅基地的承诺书")],
            when=[{"build": "rebuild"}],
        ),
        mat(
            "neighbours",
            "相邻权利人意见",
            "Consent of the neighbours",
            note="四邻签字",
            when=NEW_SITE,
        ),
        mat(
            "land_conversion",
            "农用地转用审批文件",
            "Approval to convert farmland",
            note="由乡镇统一向自然资源部门办理",
            when=FARMLAND,
        ),
    ]


def rural_house() -> Item:
    return item(
        "RB-HOUSE",
        "农村村民住宅建设审批(农村建房)",
        "Permit to build a rural family house",
        "agri",
        themes=["housing", "rural"],
        time_limit_days=20,
        legal_limit_days=20,
        service="civil",
        conditions=[
            "本集体经济组织成员，符合“一户一宅”",
            "建房用地符合国土空间规划和村庄规划",
            "原有宅基地面积未超过标准(原址翻建的须交回旧宅基地)",
        ],
        questions=[
            q(
                "build",
                "建房类型？",
                "What will you build?",
                ("rebuild", "原址翻建、改建", "Rebuild on the old plot"),
                ("new", "新址新建", "Build on a new plot"),
            ),
            q(
                "farmland",
                "新址是否占用农用地？",
                "Does the new plot take farmland?",
                ("yes", "占用农用地", "Yes"),
                ("no", "使用村内空闲地等建设用地", "No, it is village building land"),
                when=NEW_SITE,
            ),
        ],
        materials=_house_materials(),
        forms=[
            form("homestead-apply", "农村宅基地和建房(规划许可)申请表"),
            form("homestead-commit", "农村宅基地使用承诺书"),
        ],
        review_points=[
            rp("核实是否符合一户一宅、面积标准"),
            rp("实地踏勘：不占用基本农田、不在地质灾害隐患区"),
            rp("占用农用地的，先办理转用审批", when=FARMLAND),
            rp("开工前放线、竣工后验收"),
        ],
        legal_basis=["《中华人民共和国土地管理法》第六十二条", "《农村宅基地管理暂行办法》"],
        keywords=["建房", "宅基地", "盖房子", "农村建房审批"],
    )


def homestead_registration() -> Item:
    return item(
        "RE-HOMESTEAD",
        "宅基地使用权及房屋所有权首次登记",
        "First registration of a homestead and house",
        "realestate",
        themes=["housing", "rural"],
        windows=ESTATE,
        sites=[HHL],
        time_limit_days=5,
        legal_limit_days=30,
        fees="不收登记费；证书工本费10元",
        service="estate",
        conditions=["依法取得宅基地并建成房屋，权属清楚、无争议"],
        materials=[
            id_card(),
            hukou_book(),
            mat("approval", "宅基地批准文件", "Homestead approval"),
            mat(
                "survey",
                "不动产权籍调查成果",
                "Cadastral survey",
                note="由登记机构组织开展，申请人无需委托",
            ),
            mat("acceptance", "房屋竣工验收意见", "Completion acceptance", required=False),
        ],
        forms=[form("estate-apply", "不动产登记申请书")],
        review_points=[rp("权籍调查成果与批准文件一致"), rp("公告15个工作日")],
        legal_basis=["《不动产登记暂行条例》", "《不动产登记暂行条例实施细则》第四十一条"],
        keywords=["房产证", "宅基地证", "不动产证"],
    )


def farmland_subsidy() -> Item:
    return item(
        "AG-SUBSIDY",
        "耕地地力保护补贴申报",
        "Farmland protection subsidy",
        "agri",
        themes=["rural"],
        time_limit_days=30,
        legal_limit_days=60,
        service="civil",
        conditions=["拥有耕地承包权的种地农民", "耕地未撂荒、未改变用途"],
        materials=[
            id_card(),
            mat("contract", "农村土地承包经营权证", "Land contract certificate"),
            mat(
                "bank_book",
                "惠农“一卡通”存折或社会保障卡",
                "Farmers' subsidy account book or social security card",
                form="copy",
            ),
        ],
        review_points=[rp("村级公示面积，乡镇核实后报县农业农村局")],
        legal_basis=["《关于全面推开农业“三项补贴”改革工作的通知》"],
        keywords=["种粮补贴", "地力补贴", "惠农"],
    )


ITEMS = [rural_house, homestead_registration, farmland_subsidy]
