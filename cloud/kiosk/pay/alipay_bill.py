"""Alipay's trade statement (业务明细 of ``bill_type=trade``) as :class:`StatementLine` rows.

The download is a zip of GBK CSV files: ``<pid>_<yyyymmdd>_业务明细.csv`` (one line per
payment or refund) and ``..._业务明细(汇总).csv`` (totals, not read). The detail file opens
with ``#`` comment lines, then a header row, the rows, and ``#`` lines again; each cell may
end in a tab (Alipay adds one so that spreadsheets keep long numbers as text).
"""

from __future__ import annotations

import csv
import io
import zipfile

from cloud.kiosk.pay.alipay_wire import china_time, fen
from cloud.kiosk.pay.channel import StatementLine

DETAIL_SUFFIX = "_业务明细.csv"
#: the header cells we read (others, like 门店编号 or 分润, are ignored)
TRADE_NO, OUT_TRADE_NO, KIND = "支付宝交易号", "商户订单号", "业务类型"
FINISHED, ORDER_AMOUNT, RECEIVED = "完成时间", "订单金额（元）", "商家实收（元）"
REFUND_NO = "退款批次号/请求号"
KINDS = {"交易": "pay", "退款": "refund"}
MAX_BYTES = 50 * 1024 * 1024


class BillFormatError(ValueError):
    """The file is not the statement Alipay documents (logged; reconciliation reports it)."""


def statement_lines(archive: bytes) -> list[StatementLine]:
    """Every payment and refund in a downloaded statement archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            names = [n for n in zipped.namelist() if n.endswith(DETAIL_SUFFIX)]
            if len(names) != 1:
                raise BillFormatError(f"expected one {DETAIL_SUFFIX} file, found {len(names)}")
            if zipped.getinfo(names[0]).file_size > MAX_BYTES:
                raise BillFormatError("the detail file is larger than 50 MiB")
            raw = zipped.read(names[0])
    except zipfile.BadZipFile as err:
        raise BillFormatError(f"not a zip archive: {err}") from err
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as err:
        raise BillFormatError(f"not GBK text: {err}") from err
    return detail_lines(text)


def detail_lines(text: str) -> list[StatementLine]:
    """The rows of a 业务明细 CSV (its text already decoded)."""
    rows = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].startswith("#")]
    if not rows:
        raise BillFormatError("no header row")
    header = [cell.strip() for cell in rows[0]]
    missing = {TRADE_NO, OUT_TRADE_NO, KIND, FINISHED, ORDER_AMOUNT, RECEIVED} - set(header)
    if missing:
        raise BillFormatError(f"header lacks {sorted(missing)}")
    col = {name: i for i, name in enumerate(header)}
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        if len(cells) != len(header):
            raise BillFormatError(f"row {number} has {len(cells)} cells, not {len(header)}")
        lines.append(_line(cells, col, number))
    return lines


def _line(cells: list[str], col: dict[str, int], number: int) -> StatementLine:
    kind = KINDS.get(cells[col[KIND]])
    at = china_time(cells[col[FINISHED]])
    if kind is None or at is None:
        raise BillFormatError(f"row {number}: kind {cells[col[KIND]]!r} or time missing")
    try:  # a refund row's 商家实收 is the (negative) money that went back
        amount = fen(cells[col[ORDER_AMOUNT]]) if kind == "pay" else -fen(cells[col[RECEIVED]])
    except ValueError as err:
        raise BillFormatError(f"row {number}: {err}") from err
    return StatementLine(
        out_trade_no=cells[col[OUT_TRADE_NO]],
        trade_no=cells[col[TRADE_NO]],
        kind="pay" if kind == "pay" else "refund",
        amount_fen=amount,
        at=at,
        out_refund_no=cells[col[REFUND_NO]] if kind == "refund" and REFUND_NO in col else "",
    )
