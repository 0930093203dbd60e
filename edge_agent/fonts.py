"""Finding a font that can draw Chinese: ``protocols.fonts``, here for the agent's callers."""

from protocols.fonts import CANDIDATES, CJK_FONT_ENV, INSTALL_HINT, find_cjk_font

__all__ = ["CANDIDATES", "CJK_FONT_ENV", "INSTALL_HINT", "find_cjk_font"]
