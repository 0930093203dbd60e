"""The CCB channel against the CCB gateway simulator: a round trip, refunds, closing, faults,
forged and repeated notifications, the statement file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.ccb import CcbChannel
from cloud.kiosk.pay.channel import ChannelError, ChannelOrder, ForgedNotification
from simulators.ccb_gateway import CcbGatewaySim
from tests.pay.bank_kit import NotifySink, phone

World = tuple[CcbGatewaySim, CcbChannel, NotifySink]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with CcbGatewaySim() as sim, NotifySink() as sink:
        sim.notifier.retry_interval_s = 0.05
        channel = CcbChannel(
            sim.url,
            "",
            (sim.merchant_id, sim.pos_id, sim.branch_id),
            sim.public_key_hex,
            (sim.user_id, sim.password),
            timeout_s=1.0,
        )
        sink.channel = channel
        yield sim, channel, sink
        await channel.aclose()


def order(sink: NotifySink, no: str = "KF20261207000001", fen: int = 12345) -> ChannelOrder:
    return ChannelOrder(no, fen, "西宁供电公司 电费", sink.notify_url("ccb"), 300)


async def test_round_trip_paid_notified_queried_refunded(world: World) -> None:
    sim, channel, sink = world
    pre = await channel.precreate(order(sink))
    assert pre.qr_content.startswith(sim.url + "/pay/")
    assert (await channel.query("KF20261207000001")).state == "waiting"
    assert "￥123.45" in await phone(pre.qr_content, "confirm")
    await sink.wait(accepted=1)
    note = sink.accepted[0].status
    assert (note.out_trade_no, note.state, note.amount_fen) == ("KF20261207000001", "paid", 12345)
    status = await channel.query("KF20261207000001")
    assert (status.state, status.amount_fen) == ("paid", 12345)
    assert status.trade_no.startswith("CCB") and status.paid_at is not None
    first = await channel.refund("KF20261207000001", "RF1", 345, "test")
    again = await channel.refund("KF20261207000001", "RF1", 345, "test")
    assert first.amount_fen == again.amount_fen == 345
    assert sim.book.trades["KF20261207000001"].refunded_fen == 345
    with pytest.raises(ChannelError):
        await channel.refund("KF20261207000001", "RF2", 20000, "too much")
    with pytest.raises(ChannelError):
        await channel.close("KF20261207000001")


async def test_close_of_an_unpaid_or_cancelled_trade(world: World) -> None:
    _sim, channel, sink = world
    pre = await channel.precreate(order(sink, "KF2"))
    await channel.close("KF2")
    assert "已关闭" in await phone(pre.qr_content, "cancel")
    assert (await channel.query("KF2")).state == "closed"
    await channel.close("KF2")


async def test_a_request_with_a_wrong_mac_is_refused(world: World) -> None:
    sim, _channel, sink = world
    other = CcbChannel(
        sim.url,
        "",
        (sim.merchant_id, sim.pos_id, sim.branch_id),
        "00" * 40,  # another key: another PUB, another MAC
        (sim.user_id, sim.password),
    )
    with pytest.raises(ChannelError, match="0130Z1101002"):
        await other.precreate(order(sink, "KF3"))
    wrong_operator = CcbChannel(
        sim.url, "", (sim.merchant_id, sim.pos_id, sim.branch_id), sim.public_key_hex, ("x", "y")
    )
    with pytest.raises(ChannelError, match="0130Z0100002"):
        await wrong_operator.query("KF3")
    await other.aclose()
    await wrong_operator.aclose()


async def test_repeated_notifications_all_verify(world: World) -> None:
    sim, channel, sink = world
    sim.notifier.repeats = 2
    pre = await channel.precreate(order(sink, "KF4"))
    await phone(pre.qr_content, "confirm")
    await sink.wait(accepted=3)
    assert len({n.notify_id for n in sink.accepted}) == 1  # one notification, three copies


async def test_forged_notification_refused(world: World) -> None:
    sim, channel, sink = world
    sim.faults.fail_next("bad_signature")
    pre = await channel.precreate(order(sink, "KF5"))  # the fault arms the next notification
    await phone(pre.qr_content, "confirm")
    await sink.wait(refused=1)
    await sim.book.wait_deliveries(1)
    assert sink.accepted == [] and sim.book.deliveries[0].accepted is False


async def test_a_tampered_notification_is_refused(world: World) -> None:
    sim, channel, sink = world
    await channel.precreate(order(sink, "KF6"))
    body, media = sim._notification(sim.book.trades["KF6"], False)
    assert channel.verify_notify(body, media, {}).status.amount_fen == 12345
    with pytest.raises(ForgedNotification):
        channel.verify_notify(body.replace(b"PAYMENT=123.45", b"PAYMENT=1.45"), media, {})
    with pytest.raises(ForgedNotification):
        channel.verify_notify(b"POSID=1&SIGN=zz", media, {})


@pytest.mark.parametrize("fault", ["timeout", "maintenance", "malformed"])
async def test_faults_become_channel_errors(world: World, fault: str) -> None:
    sim, channel, sink = world
    sim.faults.stall_s = 5
    sim.faults.fail_next(fault)  # type: ignore[arg-type]
    with pytest.raises(ChannelError) as caught:
        await channel.precreate(order(sink, "KF7"))
    assert caught.value.citizen[1].startswith("The payment channel")
    sim.faults.fail_next(fault)  # type: ignore[arg-type]
    with pytest.raises(ChannelError):
        await channel.query("KF7")
    assert (await channel.precreate(order(sink, "KF7"))).qr_content


async def test_statement_lists_the_days_payments_and_refunds(world: World) -> None:
    _sim, channel, sink = world
    for no in ("KF8", "KF9"):
        pre = await channel.precreate(order(sink, no, 500))
        await phone(pre.qr_content, "confirm")
    await channel.refund("KF9", "RF9", 200, "part")
    lines = await channel.statement(datetime.now(HALL_TZ).date())
    assert sorted((x.out_trade_no, x.kind, x.amount_fen, x.out_refund_no) for x in lines) == [
        ("KF8", "pay", 500, ""),
        ("KF9", "pay", 500, ""),
        ("KF9", "refund", 200, "RF9"),
    ]


async def test_the_extranet_refuses_a_dtd(world: World) -> None:
    sim, _channel, _sink = world
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><TX>&a;</TX>'
    async with httpx.AsyncClient() as client:
        answer = await client.post(sim.url + "/extranet", content=evil)
    assert b"0130Z0100001" in answer.content
