"""What the screen says, in zh-CN and English: citizens read words, not health codes.

Kept on the server (not in the script) so the page, the status JSON and the tests share one
table. A reason the table does not know is never shown raw (it may be a driver's error text):
the citizen sees the kind's generic "out of service, please ask staff" sentence instead.
"""

from __future__ import annotations

from typing import Literal

from protocols.messages import Health, Role

Lang = Literal["zh-CN", "en"]
LANGS: tuple[Lang, ...] = ("zh-CN", "en")

TITLES: dict[Role, dict[Lang, str]] = {
    Role.KIOSK: {"zh-CN": "自助服务终端", "en": "Self-service terminal"},
    Role.WINDOW: {"zh-CN": "服务窗口", "en": "Service window"},
    Role.HALL_SCREEN: {"zh-CN": "大厅屏", "en": "Hall screen"},
}

#: the peripheral's name for a citizen, by ``kind``
DEVICE_NAMES: dict[str, dict[Lang, str]] = {
    "receipt_printer": {"zh-CN": "打印机", "en": "Printer"},
    "a4_printer": {"zh-CN": "文件打印机", "en": "Document printer"},
    "idcard_reader": {"zh-CN": "身份证阅读器", "en": "ID card reader"},
    "doc_camera": {"zh-CN": "高拍仪", "en": "Document scanner"},
    "av_camera": {"zh-CN": "摄像头", "en": "Camera"},
    "call_button": {"zh-CN": "呼叫器", "en": "Call button"},
    "rating_pad": {"zh-CN": "评价器", "en": "Rating pad"},
}
OTHER_DEVICE: dict[Lang, str] = {"zh-CN": "设备", "en": "Device"}

_ASK_STAFF: dict[Lang, str] = {"zh-CN": "，请联系工作人员", "en": ", please ask a member of staff"}

#: (health, reason) → what is wrong, for the reasons a citizen can understand
_REASONS: dict[tuple[Health, str], dict[Lang, str]] = {
    (Health.OFFLINE, "paper_out"): {"zh-CN": "缺纸", "en": " is out of paper"},
    (Health.OFFLINE, "tray_missing"): {"zh-CN": "纸盒未装好", "en": " has no paper tray"},
    (Health.OFFLINE, "cover_open"): {"zh-CN": "盖板未关好", "en": " has its cover open"},
    (Health.OFFLINE, "media_jam"): {"zh-CN": "卡纸", "en": " has a paper jam"},
    (Health.OFFLINE, "toner_empty"): {"zh-CN": "墨粉用完", "en": " is out of toner"},
    (Health.DEGRADED, "near_end"): {"zh-CN": "纸张即将用完", "en": " is running low on paper"},
    (Health.DEGRADED, "paper_low"): {"zh-CN": "纸张即将用完", "en": " is running low on paper"},
    (Health.DEGRADED, "toner_low"): {"zh-CN": "墨粉即将用完", "en": " is running low on toner"},
}

_BY_HEALTH: dict[Health, dict[Lang, str]] = {
    Health.OK: {"zh-CN": "正常", "en": " is ready"},
    Health.DEGRADED: {"zh-CN": "可以使用", "en": " is working"},
    Health.OFFLINE: {"zh-CN": "暂停服务", "en": " is out of service"},
    Health.UNKNOWN: {"zh-CN": "正在检查", "en": " is being checked"},
}

#: words the page's script needs (connection state, the service area's placeholder, the
#: corner-adjust screen)
PAGE_WORDS: dict[Lang, dict[str, str]] = {
    "zh-CN": {
        "online": "在线",
        "offline": "离线",
        "unreachable": "暂时无法获取设备状态",
        "welcome": "欢迎使用",
        "soon": "服务内容即将上线",
        "devices": "设备状态",
        "switch": "English",
        "review_title": "请确认文件的四个角",
        "review_hint": "拖动四个圆点，对准文件的四个角，然后点“确认”",
        "review_photo": "高拍仪拍到的照片",
        "confirm": "确认",
        "retake": "重拍",
        "whole": "使用整张",
        "seconds_left": "剩余 {n} 秒",
        "corner_names": "左上角|右上角|右下角|左下角",
        "handle_hint": "用方向键微调",
        "bad_corners": "四个圆点围成的形状不像一页文件，请把它们分别放在文件的四个角上",
        "send_failed": "暂时无法提交，请再试一次",
    },
    "en": {
        "online": "Online",
        "offline": "Offline",
        "unreachable": "Device status is not available right now",
        "welcome": "Welcome",
        "soon": "Services will appear here soon",
        "devices": "Devices",
        "switch": "中文",
        "review_title": "Please check the corners of your document",
        "review_hint": "Drag the four dots onto the corners of the page, then tap Confirm",
        "review_photo": "Photo taken by the document scanner",
        "confirm": "Confirm",
        "retake": "Retake",
        "whole": "Use whole photo",
        "seconds_left": "{n} s left",
        "corner_names": "Top left|Top right|Bottom right|Bottom left",
        "handle_hint": "arrow keys move it",
        "bad_corners": "The dots do not outline a page: put one on each corner of the page",
        "send_failed": "Could not send your answer, please try again",
    },
}


def pick_lang(asked: str | None, default: Lang) -> Lang:
    """The language a request asked for (``?lang=``), else the configured one."""
    for lang in LANGS:
        if asked == lang:
            return lang
    return default


def title_of(role: Role, lang: Lang) -> str:
    return TITLES[role][lang]


def peripheral_text(kind: str, health: Health, reason: str, lang: Lang) -> str:
    """One sentence a citizen understands, e.g. 打印机缺纸，请联系工作人员."""
    name = DEVICE_NAMES.get(kind, OTHER_DEVICE)[lang]
    what = _REASONS.get((health, reason), _BY_HEALTH[health])[lang]
    text = name + what
    if health is Health.OFFLINE:
        text += _ASK_STAFF[lang]
    return text
