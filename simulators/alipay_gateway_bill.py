"""The simulated gateway's statement file (对账单, ``bill_type=trade``) as Alipay ships it: a zip
of two GBK CSV files, ``<pid>_<yyyymmdd>_业务明细.csv`` (a line per payment and refund, each
cell followed by a tab, ``#`` lines around) and ``..._业务明细(汇总).csv`` (totals)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from simulators.alipay_gateway_trades import CHINA, Trade, china, yuan

HEADER = [
    *("支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号"),
    *("门店名称", "操作员", "终端号", "对方账户", "订单金额（元）", "商家实收（元）"),
    *("支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）"),
    *("券名称", "商家红包消费金额（元）", "卡消费金额（元）", "退款批次号/请求号", "服务费（元）"),
    *("分润（元）", "备注"),
]


@dataclass(frozen=True)
class BillRow:
    """One line of the detail file (what tests plant to make a statement disagree)."""

    trade_no: str
    out_trade_no: str
    kind: str  # 交易 | 退款
    subject: str
    created: datetime
    finished: datetime
    order_fen: int
    received_fen: int
    refund_no: str = ""


def rows_of(trades: Iterable[Trade], day: date) -> list[BillRow]:
    """Payments finished and refunds made on ``day`` (China time)."""
    rows = []
    for t in trades:
        if t.paid_at is not None and t.paid_at.astimezone(CHINA).date() == day:
            rows.append(
                BillRow(
                    t.trade_no,
                    t.out_trade_no,
                    "交易",
                    t.subject,
                    t.created_at,
                    t.paid_at,
                    t.amount_fen,
                    t.amount_fen,
                )
            )
        for r in t.refunds.values():
            if r.at.astimezone(CHINA).date() == day:
                rows.append(
                    BillRow(
                        t.trade_no,
                        t.out_trade_no,
                        "退款",
                        t.subject,
                        t.created_at,
                        r.at,
                        t.amount_fen,
                        -r.amount_fen,
                        r.out_request_no,
                    )
                )
    return sorted(rows, key=lambda r: r.finished)


def bill_archive(pid: str, day: date, rows: list[BillRow], exported: datetime) -> bytes:
    stem = f"{pid}_{day:%Y%m%d}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(f"{stem}_业务明细.csv", _detail(pid, day, rows, exported).encode("gbk"))
        zipped.writestr(f"{stem}_业务明细(汇总).csv", _summary(pid, day, rows).encode("gbk"))
    return out.getvalue()


def _detail(pid: str, day: date, rows: list[BillRow], exported: datetime) -> str:
    text = io.StringIO()
    text.write("#支付宝业务明细查询\n")
    text.write(f"#账号：[{pid}0156]\n")
    text.write(
        f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{day:%Y年%m月%d日} 23:59:59]\n"
    )
    text.write(
        "#-----------------------------------------业务明细列表----------------------------------------\n"
    )
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    for r in rows:
        cells = [r.trade_no, r.out_trade_no, r.kind, r.subject, china(r.created),
                 china(r.finished), "", "", "", "", "159****5620", yuan(r.order_fen),
                 yuan(r.received_fen), "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00",
                 "0.00", r.refund_no, "0.00", "", ""]  # fmt: skip
        writer.writerow([c + "\t" for c in cells])
    pays = [r for r in rows if r.kind == "交易"]
    refunds = [r for r in rows if r.kind == "退款"]
    text.write(
        "#-----------------------------------------业务明细列表结束------------------------------------\n"
    )
    paid = yuan(sum(r.received_fen for r in pays))
    back = yuan(sum(r.received_fen for r in refunds))
    text.write(f"#交易合计：{len(pays)}笔，商家实收共：{paid}元，商家优惠共：0.00元\n")
    text.write(f"#退款合计：{len(refunds)}笔，商家实收退款共：{back}元，商家优惠退款共：0.00元\n")
    text.write(f"#导出时间：[{exported.astimezone(CHINA):%Y年%m月%d日 %H:%M:%S}]\n")
    return text.getvalue()


def _summary(pid: str, day: date, rows: list[BillRow]) -> str:
    received = sum(r.received_fen for r in rows)
    return (
        "#支付宝业务汇总查询\n"
        f"#账号：[{pid}0156]\n"
        f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{day:%Y年%m月%d日} 23:59:59]\n"
        "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）\n"
        f"合计,,{sum(r.kind == '交易' for r in rows)},{sum(r.kind == '退款' for r in rows)},"
        f"{yuan(sum(r.order_fen for r in rows if r.kind == '交易'))},{yuan(received)}\n"
        "#-----------------------------------------业务汇总列表结束------------------------------------\n"
    )
