"""What the hall and window screens say, in zh-CN and English (the page's language follows
``?lang=`` or ``[screen] lang``, as the device page does; see ``texts.pick_lang``)."""

from __future__ import annotations

from edge_agent.screen.texts import Lang

HALL_WORDS: dict[Lang, dict[str, str]] = {
    "zh-CN": {
        "hall_title": "大厅导引",
        "now_calling": "正在叫号",
        "ticket": "号码",
        "to_window": "窗口",
        "waiting": "等候人数",
        "people": "人",
        "expected": "预计等候 {n} 分钟",
        "you_are_here": "您在这里",
        "window_n": "{n}号窗口",
        "no_plan": "平面图即将显示",
        "no_calls": "暂无叫号",
        "offline": "网络中断，显示最近一次内容",
        "call_speech": "请 {ticket} 号到 {window} 号窗口办理",
        "switch": "English",
    },
    "en": {
        "hall_title": "Hall guide",
        "now_calling": "Now calling",
        "ticket": "Ticket",
        "to_window": "Window",
        "waiting": "Waiting",
        "people": "",
        "expected": "about {n} min",
        "you_are_here": "You are here",
        "window_n": "Window {n}",
        "no_plan": "The floor plan will appear here",
        "no_calls": "No calls yet",
        "offline": "Network down: showing the last content received",
        "call_speech": "请 {ticket} 号到 {window} 号窗口办理",  # spoken in Mandarin always
        "switch": "中文",
    },
}

WINDOW_WORDS: dict[Lang, dict[str, str]] = {
    "zh-CN": {
        "window_n": "{n}号窗口",
        "services": "办理业务",
        "on_duty": "当前值班",
        "roster": "本窗口工作人员",
        "staff_no": "工号",
        "serving": "正在办理",
        "called": "请到本窗口",
        "none_serving": "—",
        "open": "正在服务",
        "paused": "暂停服务",
        "closed": "暂停办理",
        "rate": "请对我的服务进行评价",
        "rate_alt": "please rate our service",
        "unknown": "本窗口信息即将显示",
        "offline": "网络中断，显示最近一次内容",
        "switch": "English",
    },
    "en": {
        "window_n": "Window {n}",
        "services": "Services",
        "on_duty": "On duty",
        "roster": "Staff at this window",
        "staff_no": "Staff no.",
        "serving": "Now serving",
        "called": "Please come to this window",
        "none_serving": "—",
        "open": "Open",
        "paused": "Paused",
        "closed": "Closed",
        "rate": "Please rate our service",
        "rate_alt": "请对我的服务进行评价",
        "unknown": "This window's information will appear here",
        "offline": "Network down: showing the last content received",
        "switch": "中文",
    },
}
