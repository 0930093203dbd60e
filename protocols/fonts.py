"""Finding a font that can draw Chinese (the watermark of a copy, receipt previews).

Shared by the agent (``edge_agent.fonts`` re-exports it) and the receipt renderer
(``protocols.escpos.paper``), which may not import the agent. No CJK font comes with a fresh
Debian (``apt-get install fonts-wqy-microhei``); we look,
in order, at ``KFLEET_CJK_FONT``, then at the usual places on Debian/Ubuntu, Fedora, Arch,
Windows and macOS. Nothing found is not an error here: the caller decides (a copy without its
watermark is refused, since a citizen must not get an unmarked copy of a document).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

CJK_FONT_ENV = "KFLEET_CJK_FONT"
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)
INSTALL_HINT = (
    "install a CJK font (Debian: apt-get install fonts-wqy-microhei) or point "
    f"{CJK_FONT_ENV} at a .ttf/.ttc/.otf file that has Chinese glyphs"
)


def find_cjk_font(
    configured: Path | None = None, candidates: Iterable[str] = CANDIDATES
) -> Path | None:
    """The first readable CJK font file: ``configured``, then the env variable, then
    ``candidates``; None if there is none."""
    env = os.environ.get(CJK_FONT_ENV)
    for option in (configured, Path(env) if env else None, *(Path(c) for c in candidates)):
        if option is not None and option.is_file() and os.access(option, os.R_OK):
            return option
    return None
