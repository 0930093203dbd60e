"""Reading the citizen's ID card for the kiosk's screens: ``POST /kiosk/api/idcard/read``.

The agent reads the card through the kiosk's own reader (the ``idcard_reader`` peripheral,
GA 467), keeps the full read in the :class:`KioskSession` under ``"idcard"`` (the convention
every feature reads: ``{"id_number", "name", "sex", "birth", "address", "read_at"}``) and
answers the browser with the masked form only (``6328**********0137``, ``王*``): what a
bystander could read off the screen is never the full number.

One read at a time. ``POST /kiosk/api/idcard/cancel`` (the screen's 取消 button) and any
session clear (idle timeout, 退出) stop a waiting read at once; a read that finishes after a
clear is dropped, never put into the next citizen's session. Nothing read off a card is
logged.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.drivers.idcard_errors import IdCardError, IdCardRefused
from edge_agent.drivers.idcard_reader import IdCardRead
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error
from protocols.idcard import mask_id_number, mask_name

log = logging.getLogger(__name__)

SESSION_KEY = "idcard"
READER_KIND = "idcard_reader"
DEFAULT_TIMEOUT_S = 20.0
MAX_TIMEOUT_S = 60.0
#: the driver checks its deadline between commands: one command (≤ 3 s) may overrun it, and a
#: busy or stuck serial line more; the kiosk stops waiting this long after the asked time
READ_GRACE_S = 2.0
#: reader answers that mean "this card could not be read", not "the reader is broken"
CARD_REASONS = frozenset({"read_failed", "wrong_card", "card_auth_failed", "bad_card_data"})


@runtime_checkable
class CardReader(Protocol):
    """What the kiosk needs of an ID-card reader driver."""

    async def read_card(self, timeout_s: float) -> IdCardRead | None: ...


def session_card(read: IdCardRead) -> dict[str, str]:
    """The session's ``"idcard"`` value: the full read (features put it into cloud calls)."""
    text = read.text
    return {
        "id_number": text.id_number,
        "name": text.name,
        "sex": text.sex,
        "birth": text.birth_date.isoformat(),
        "address": text.address,
        "read_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def masked_card(card: dict[str, str]) -> dict[str, str]:
    """What the browser may show: masked number and name, sex, birth year, time of read."""
    return {
        "id_number": mask_id_number(card["id_number"]),
        "name": mask_name(card["name"]),
        "sex": card["sex"],
        "birth_year": card["birth"][:4],
        "read_at": card["read_at"],
    }


class CardDesk:
    """The one read in progress (if any) and how to stop it."""

    def __init__(self, parts: KioskParts) -> None:
        self.parts = parts
        self._task: asyncio.Task[IdCardRead | None] | None = None
        parts.session.on_clear(self.cancel)

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def read(self, reader: CardReader, timeout_s: float) -> IdCardRead | None:
        """The card, None when none came in time (bounded here too, whatever the driver
        does); :class:`ReadCancelled` when stopped."""
        task = asyncio.create_task(reader.read_card(timeout_s), name="kiosk-idcard-read")
        self._task = task
        try:
            done, _ = await asyncio.wait([task], timeout=timeout_s + READ_GRACE_S)
        finally:  # overrun, or the request itself cancelled (shutdown): stop the read
            self._task = None
            task.cancel()
        if not done:
            log.warning("kiosk: ID-card read overran its %.0f s bound", timeout_s)
            return None
        if task.cancelled():
            raise ReadCancelled
        return task.result()


class ReadCancelled(Exception):
    """The read was stopped by 取消 or by a session clear."""


def _timeout_of(body: Any) -> float | None:
    """The requested wait, or None when it is not a number in 0..60."""
    value = body.get("timeout_s", DEFAULT_TIMEOUT_S) if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 <= value <= MAX_TIMEOUT_S:
        return None
    return float(value)


def _reader_error(err: IdCardError) -> Response:
    if err.reason in CARD_REASONS:
        return error(
            422,
            "card_unreadable",
            "无法读取这张卡片。请确认是居民身份证，平放在读卡区不要移动，再试一次。",
            "This card cannot be read. Make sure it is a resident ID card, lay it flat on the "
            "reader without moving it, and try again.",
        )
    kind = "refused" if isinstance(err, IdCardRefused) else "fault"
    log.warning("kiosk: ID-card reader %s (%s)", kind, err.reason)
    return error(
        503,
        "idcard_reader_fault",
        "身份证阅读器暂时无法使用，请联系工作人员，或手工输入身份证号码。",
        "The ID-card reader is not working now. Please ask the staff for help, or type the "
        "ID number instead.",
    )


async def _read(
    parts: KioskParts, desk: CardDesk, reader: CardReader, timeout_s: float
) -> Response:
    """One read, answered: the masked card (the whole one goes into the session) or why not."""
    session_id = parts.session.id
    try:
        card = await desk.read(reader, timeout_s)
    except ReadCancelled:
        return error(409, "idcard_cancelled", "已取消读卡。", "Card reading was cancelled.")
    except IdCardError as err:
        return _reader_error(err)
    if card is None:
        return error(
            408,
            "no_card",
            "未检测到身份证。请将身份证放在读卡区，再试一次。",
            "No ID card was found. Please place the card on the reader and try again.",
        )
    if parts.session.id != session_id:  # cleared while reading: not this citizen's
        return error(409, "idcard_cancelled", "已取消读卡。", "Card reading was cancelled.")
    full = session_card(card)
    parts.session.put(SESSION_KEY, full)
    log.info("kiosk: ID card read")  # never what was read
    return JSONResponse(masked_card(full), headers=NO_STORE)


def idcard_routes(parts: KioskParts) -> list[BaseRoute]:
    """``POST /kiosk/api/idcard/read``, ``POST .../cancel``, ``GET /kiosk/api/idcard``."""
    desk = CardDesk(parts)

    async def read(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        timeout_s = _timeout_of(body if body is not None else {})
        if timeout_s is None:
            return error(
                422,
                "bad_input",
                f"timeout_s 须为 0 至 {MAX_TIMEOUT_S:.0f} 之间的秒数",
                f"timeout_s must be a number of seconds from 0 to {MAX_TIMEOUT_S:.0f}",
            )
        reader = parts.peripheral(READER_KIND)
        if not isinstance(reader, CardReader):
            return error(
                503,
                "idcard_reader_missing",
                "本机没有身份证阅读器，请手工输入身份证号码，或到窗口办理。",
                "This kiosk has no ID-card reader. Please type the ID number, or go to a window.",
            )
        if desk.busy:
            return error(
                409,
                "idcard_busy",
                "正在读卡，请稍候。",
                "A card is being read already. Please wait.",
            )
        return await _read(parts, desk, reader, timeout_s)

    async def cancel(request: Request) -> Response:
        desk.cancel()
        return JSONResponse({"cancelled": True}, headers=NO_STORE)

    async def current(request: Request) -> Response:
        card = parts.session.get(SESSION_KEY)
        if card is None:
            return error(404, "no_card", "尚未读取身份证。", "No ID card has been read yet.")
        return JSONResponse(masked_card(card), headers=NO_STORE)

    return [
        Route("/kiosk/api/idcard/read", read, methods=["POST"]),
        Route("/kiosk/api/idcard/cancel", cancel, methods=["POST"]),
        Route("/kiosk/api/idcard", current, methods=["GET"]),
    ]
