"""``kfleet provision test idcard``: the resident ID-card reader through the agent's own driver:
its security module (SAM) status, then one card read while a countdown runs.

What is shown follows docs/privacy.md even here, on the technician's own screen: the card's
masked form only (``王*``, ``6328**********0137``, birth year, first 6 characters of the
address) and the photo's size, never the full number, the name or the photo bytes.
"""

from __future__ import annotations

from typing import Any

from edge_agent.drivers.idcard_errors import (
    IdCardError,
    IdCardGarbled,
    IdCardRefused,
    IdCardTimeout,
    IdCardUnplugged,
)
from edge_agent.drivers.idcard_reader import IdCardReader, IdCardReaderConfig
from protocols.messages import Health
from provisioning.exercise_find import TEST_ID
from provisioning.exercise_progress import Feedback
from provisioning.exercise_result import Exit, TestFailed


def _exit(err: IdCardError, during_read: bool) -> Exit:
    if isinstance(err, IdCardUnplugged):
        return Exit.LOST if during_read and err.reason == "unplugged" else Exit.NOT_FOUND
    if isinstance(err, IdCardTimeout):
        return Exit.TIMEOUT
    if isinstance(err, IdCardGarbled):
        return Exit.GARBLED
    if isinstance(err, IdCardRefused):
        return Exit.DEVICE_ERROR
    return Exit.DEVICE_ERROR


async def _sam_status(reader: IdCardReader, port: str) -> str:
    """The reader answers its SAM status; otherwise the test stops here."""
    health, reason = await reader.health()
    if health is Health.OK:
        return "ok"
    if reason in ("port_unavailable", "unplugged"):
        code, why = Exit.NOT_FOUND, "cannot be opened (unplugged, or used by the running agent)"
    elif reason == "no_reply":
        code, why = Exit.TIMEOUT, "does not answer: switched off, or at another baud rate (--baud)"
    elif health is Health.DEGRADED and reason in ("sam_fault",):
        code, why = Exit.DEVICE_ERROR, "reports a security-module (SAM) fault: it needs service"
    else:
        code, why = Exit.GARBLED, f"answers, but garbled ({reason}): check --baud and the cable"
    raise TestFailed(code, f"the ID-card reader on {port} {why}", {"sam_status": reason})


async def exercise_idcard(
    port: str, baud: int, wait_s: float, feedback: Feedback
) -> dict[str, Any]:
    """SAM status, then one card (masked); :class:`TestFailed` with the reason otherwise."""
    cfg = IdCardReaderConfig.model_validate(
        {"type": "idcard_ga467", "id": TEST_ID, "port": port, "baudrate": baud}
    )
    reader = IdCardReader(cfg)
    try:
        with feedback.spinner(f"asking the ID-card reader on {port} for its status"):
            sam = await _sam_status(reader, port)
        try:
            async with feedback.countdown("place an ID card on the reader", wait_s):
                read = await reader.read_card(wait_s)
        except IdCardError as err:
            raise TestFailed(_exit(err, True), str(err), {"sam_status": sam}) from err
    finally:
        await reader.close()
    if read is None:
        raise TestFailed(
            Exit.TIMEOUT,
            f"no card was placed on the reader within {wait_s:.0f} s (the reader itself "
            "answers); place a card flat on the reader while the countdown runs, or give a "
            "longer --timeout",
            {"sam_status": sam},
        )
    return {
        "sam_status": sam,
        "card": read.text.masked(),
        "photo": f"{len(read.photo)} bytes (not shown)",
    }
