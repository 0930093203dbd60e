"""The card the 高龄补贴 routes work from: the full read the shell's card reader put in the
session (``"idcard"``), never the browser's."""

from __future__ import annotations

from edge_agent.kiosk.parts import KioskParts

NO_CARD = ("请先将身份证放在读卡区读取身份证。", "Please place your ID card on the reader first.")


def card_of(parts: KioskParts) -> dict[str, str] | None:
    card = parts.session.get("idcard")
    if not isinstance(card, dict) or not card.get("id_number") or not card.get("name"):
        return None
    return {k: str(v) for k, v in card.items()}
