"""Glyphs for the printed and written text on a page: real 汉字 when a CJK font is there.

The font is the one ``protocols.fonts`` finds (``KFLEET_CJK_FONT``, then the usual paths),
as for the agent and the receipt renderer. Without one, square
"characters" made of the strokes of 汉字 (横, 竖, 撇, 捺, 点, boxes) stand in. Banks are
rendered once per cell size and cached: pasting a cached glyph costs microseconds, a
Pillow ``draw.text`` per character would cost the frame budget at 12 MP.

Glyph images are float32 coverage in 0..1 (1 = full ink), ``cell × cell``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from protocols.fonts import CANDIDATES, find_cjk_font
from simulators.doc_scene.pixels import FImage, f32

#: where to look for a CJK font (the shared list; a test empties it)
_FONT_PATHS: tuple[str, ...] = CANDIDATES

#: common characters of official forms and certificates (and digits, punctuation)
CHARS = (
    "中华人民共和国居民身份证姓名性别民族出生年月日住址公民号码签发机关有效期限申请表单位"
    "办理事项材料证明本人承诺以上信息真实准确如有虚假愿承担法律责任经办审核意见盖章日期"
    "社会保险登记编号户籍所在地联系电话工作营业执照统一信用代码法定代表注册资本成立经营范围"
    "税务不动产权属房屋面积用途结构层数共有情况附记土地使用权类型终止婚姻状况学历专业毕业"
    "院校授予学位荣誉证书特此表彰先进个人获得一等奖颁发时间教育部门市区县街道乡镇村委会"
    "医疗卫生健康检查结果合格车辆驾驶准驾车型初次领证档案补换领遗失作废原因说明备注页第"
    "之的了是在不和也就都而及与着或一个没我你他她它们这那些什么为所如果因此但是然后可以"
    "0123456789，。、；：（）《》"
)


def cjk_font() -> Path | None:
    """A readable CJK font file, or None (then the stroke glyphs are used)."""
    return find_cjk_font(candidates=_FONT_PATHS)


def glyph_bank(cell: int, style: int = 0) -> tuple[FImage, ...]:
    """The bank of glyphs of about ``cell`` pixels (sizes step by ~5 %, so banks are shared
    between frames); ``style`` > 0 is a bold face (titles)."""
    cell = max(4, int(cell))
    if cell > 20:
        cell = round(1.05 ** round(math.log(cell, 1.05)))
    return _bank(cell, style)


@lru_cache(maxsize=96)
def _bank(cell: int, style: int) -> tuple[FImage, ...]:
    font = cjk_font()
    if font is not None and cell >= 7:
        return _font_bank(font, cell, style)
    return _stroke_bank(np.random.default_rng([cell, style, 0x676C]), cell, 64)


def _font_bank(font: Path, cell: int, style: int) -> tuple[FImage, ...]:
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(font), size=max(4, round(cell * 0.92)))
    bank = []
    for ch in CHARS:
        canvas = Image.new("L", (cell, cell), 0)
        draw = ImageDraw.Draw(canvas)
        left, top, right, bottom = draw.textbbox((0, 0), ch, font=face)
        x = (cell - (right - left)) / 2 - left
        y = (cell - (bottom - top)) / 2 - top
        draw.text((x, y), ch, fill=255, font=face, stroke_width=style)
        bank.append(f32(np.asarray(canvas, np.float32) / 255))
    return tuple(bank)


def _stroke_bank(rng: np.random.Generator, cell: int, n: int) -> tuple[FImage, ...]:
    thick = max(1, round(cell / 11))
    bank = []
    for _ in range(n):
        g = np.zeros((cell, cell), np.float32)
        m = max(1, cell // 8)
        for _ in range(int(rng.integers(3, 8))):
            x0, y0 = (int(v) for v in rng.integers(m, max(m + 1, cell - m), 2))
            kind = int(rng.integers(5))
            if kind == 0:
                x1, y1 = int(rng.integers(x0, cell - m + 1)), y0
            elif kind == 1:
                x1, y1 = x0, int(rng.integers(y0, cell - m + 1))
            elif kind in (2, 3):
                d = int(rng.integers(max(1, cell // 5), cell // 2 + 2))
                x1, y1 = x0 + (d if kind == 3 else -d), y0 + d
            else:
                x1, y1 = x0 + max(1, cell // 10), y0 + max(1, cell // 10)
            cv2.line(g, (x0, y0), (x1, y1), 1.0, thick, cv2.LINE_AA)
        if rng.random() < 0.3:
            a, b = sorted(int(v) for v in rng.integers(m, max(m + 1, cell - m), 2))
            cv2.rectangle(g, (m, a), (cell - m, b), 1.0, thick, cv2.LINE_AA)
        bank.append(g)
    return tuple(bank)


def text_line(
    rng: np.random.Generator,
    ink: FImage,
    x: int,
    y: int,
    width: int,
    cell: int,
    *,
    fill: float = 1.0,
    style: int = 0,
    strength: float = 1.0,
) -> None:
    """Print a run of glyphs into ``ink`` (0..1 coverage) at ``(x, y)``, ``fill`` of ``width``."""
    bank = glyph_bank(cell, style)
    cell = bank[0].shape[0]
    step = max(cell, int(cell * 1.06))
    h, w = ink.shape[:2]
    n = min(int(width * fill) // step, (w - x) // step)
    if n <= 0 or y < 0 or x < 0 or y + cell > h:
        return
    picks = rng.integers(len(bank), size=n)
    gap = np.zeros((cell, step - cell), np.float32)
    row = np.concatenate([np.hstack((bank[int(i)], gap)) for i in picks], axis=1)
    if rng.random() < 0.3:  # spaces between phrases
        for s in rng.integers(0, n, size=max(1, n // 12)):
            row[:, int(s) * step : (int(s) + 1) * step] = 0
    region = ink[y : y + cell, x : x + row.shape[1]]
    np.maximum(region, row[:, : region.shape[1]] * strength, out=region)


def paragraph(
    rng: np.random.Generator,
    ink: FImage,
    x: int,
    y: int,
    width: int,
    y_end: int,
    body: int,
    *,
    spacing: float = 1.7,
) -> int:
    """Lines of text from ``y`` down to ``y_end``; the ``y`` after them."""
    line_h = max(body + 1, int(body * spacing))
    first = True
    while y + body < y_end:
        fill = rng.uniform(0.9, 1.0) if rng.random() < 0.85 else rng.uniform(0.2, 0.7)
        indent = 2 * body if first else 0
        text_line(rng, ink, x + indent, y, width - indent, body, fill=fill)
        first = rng.random() < 0.15
        y += line_h
    return y
