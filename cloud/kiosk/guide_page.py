"""The public phone page of one guide item (``GET /g/{code}``), which the QR code on the kiosk
screen and on the printed guide opens.

Plain HTML, its style inline and no script: it works on any phone browser and over a slow
link. The situations are a GET form of radio buttons: choosing and pressing 更新 reloads the
page with the answers in the query (``?who=agent``), and the material list follows the same
``fleet.guide.applicable`` as the kiosk. The kiosk's QR carries the citizen's answers, so the
phone opens on the same list. zh-CN first, English beneath.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from urllib.parse import quote

from cloud.kiosk.guide_words import FORMS, OBJECTS, days, days_en
from fleet.guide import Applicable, applicable
from protocols.guide import Item, Material, Question

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6f8;
color:#1b2733;font-size:1.05rem;line-height:1.55}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.25rem 0}h2{font-size:1.25rem;margin:1.25rem 0 .5rem}
.en{color:#4a5a6b;font-size:.92rem}
.box{background:#fff;border-radius:.6rem;padding:.75rem 1rem;margin:.75rem 0;
box-shadow:0 1px 3px #0002}
.sample{background:#fff3cd;border:2px solid #8a6d00;padding:.5rem .75rem;border-radius:.5rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .9rem;margin:0}dt{font-weight:600}
dd{margin:0}ol{padding-left:1.4rem;margin:.25rem 0}li{margin:.4rem 0}
.sub{color:#33475b;font-size:.95rem;margin:.15rem 0 0;padding-left:1rem}
.tag{display:inline-block;border:1px solid #4a5a6b;border-radius:.3rem;padding:0 .35rem;
font-size:.85rem;margin-left:.3rem}
fieldset{border:1px solid #c4ccd4;border-radius:.5rem;margin:.6rem 0;padding:.5rem .75rem}
legend{font-weight:600}label{display:flex;align-items:center;gap:.6rem;min-height:48px}
input[type=radio]{width:1.4rem;height:1.4rem}
button{font-size:1.1rem;min-height:48px;padding:.4rem 1.5rem;border-radius:.5rem;
border:0;background:#0b57d0;color:#fff}
.warn{color:#8a1c12;font-weight:600}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def message_html(zh: str, en: str) -> str:
    """A page that says only why there is no guide (unknown item, nothing published)."""
    return _page(zh, f'<div class="box"><h1>{escape(zh)}</h1><p lang="en">{escape(en)}</p></div>')


def _en(text: str) -> str:
    return f' <span class="en" lang="en">{escape(text)}</span>' if text else ""


def _facts(item: Item, department: str, site_names: Mapping[str, str]) -> str:
    where = "".join(
        f"<li>{escape(site_names.get(site, site))}：{escape('、'.join(nos))}号窗口</li>"
        for site, nos in item.windows.items()
    )
    rows = [
        ("实施部门", escape(department or item.department)),
        ("办事对象", escape(OBJECTS[item.object][0]) + _en(OBJECTS[item.object][1])),
        ("承诺时限", escape(days(item.time_limit_days)) + _en(days_en(item.time_limit_days))),
        ("收费标准", escape(item.fees or "不收费")),
        ("咨询电话", escape(item.phone or "—")),
        ("办理地点", escape(item.place) + (f"<ol>{where}</ol>" if where else "")),
    ]
    cells = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<div class="box"><dl>{cells}</dl></div>'


def _question(q: Question, answer: str | None) -> str:
    options = "".join(
        f'<label><input type="radio" name="{escape(q.code)}" value="{escape(o.code)}"'
        f"{' checked' if o.code == answer else ''}>{escape(o.label)}{_en(o.label_en)}</label>"
        for o in q.options
    )
    return f"<fieldset><legend>{escape(q.text)}{_en(q.text_en)}</legend>{options}</fieldset>"


def _situations(item: Item, answers: Mapping[str, str], got: Applicable) -> str:
    if not item.questions:
        return ""
    fields = "".join(_question(q, answers.get(q.code)) for q in got.questions)
    note = (
        '<p class="warn">请回答以上问题，材料清单才完整。'
        '<span class="en" lang="en">Answer every question for the full list.</span></p>'
        if got.unanswered
        else ""
    )
    return (
        '<h2>办理情形 <span class="en" lang="en">Your situation</span></h2>'
        f'<form method="get" class="box">{fields}{note}'
        '<button type="submit">更新材料清单 Update the list</button></form>'
    )


def _material(m: Material) -> str:
    subs = "".join(
        f"<li>{escape(s.name)}{('：' + escape(s.note)) if s.note else ''}</li>" for s in m.sub
    )
    form_zh, form_en = FORMS[m.form]
    tags = f'<span class="tag">{form_zh} {m.copies}份</span>'
    if not m.required:
        tags += '<span class="tag">视情况提供</span>'
    note = f'<div class="sub">{escape(m.note)}</div>' if m.note else ""
    return (
        f"<li>{escape(m.name)}{tags}{_en(m.name_en + ' · ' + form_en if m.name_en else '')}"
        f"{note}{f'<ul class=sub>{subs}</ul>' if subs else ''}</li>"
    )


def _list(title: str, title_en: str, items: list[str]) -> str:
    if not items:
        return ""
    lis = "".join(f"<li>{escape(t)}</li>" for t in items)
    return f'<h2>{title}{_en(title_en)}</h2><div class="box"><ol>{lis}</ol></div>'


def guide_html(
    item: Item,
    answers: Mapping[str, str],
    *,
    department: str = "",
    site_names: Mapping[str, str] | None = None,
    sample: bool = False,
) -> str:
    """The page of ``item`` for ``answers`` (unknown questions and options are ignored)."""
    got = applicable(item, answers)
    materials = "".join(_material(m) for m in got.materials) or "<li>无需提交材料</li>"
    parts = [
        '<p class="sample">样例数据，仅供演示，不作为办事依据。'
        '<span class="en" lang="en">Sample data for demonstration.</span></p>'
        if sample
        else "",
        f"<h1>{escape(item.name)}</h1>",
        f'<p class="en" lang="en">{escape(item.name_en)}</p>' if item.name_en else "",
        _facts(item, department, site_names or {}),
        _list("受理条件", "Conditions", list(item.conditions)),
        _situations(item, answers, got),
        f"<h2>申请材料{_en('Materials to bring')}</h2>"
        f'<div class="box"><ol id="materials">{materials}</ol></div>',
        _list("需填写的表单", "Forms", [f.name for f in got.forms]),
        _list("设定依据", "Legal basis", list(item.legal_basis)),
    ]
    return _page(f"{item.name} 办事指南", "".join(parts))


def page_path(code: str, answers: Mapping[str, str]) -> str:
    """``/g/{code}`` with the answers in the query, in the questions' order."""
    query = "&".join(f"{quote(q)}={quote(o)}" for q, o in answers.items())
    return f"/g/{quote(code)}" + (f"?{query}" if query else "")
