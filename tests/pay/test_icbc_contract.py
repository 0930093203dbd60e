"""The ICBC channel against the ICBC gateway simulator: a round trip, refunds, closing,
faults, forged and repeated notifications, the statement file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.channel import ChannelError, ChannelOrder
from cloud.kiosk.pay.icbc import IcbcChannel
from protocols.bank_sign import new_key_pair
from simulators.icbc_gateway import IcbcGatewaySim
from tests.pay.bank_kit import NotifySink, phone

APP = "10000000000000123456"
World = tuple[IcbcGatewaySim, IcbcChannel, NotifySink]


@pytest.fixture
async def world() -> AsyncIterator[tuple[IcbcGatewaySim, IcbcChannel, NotifySink]]:
    private, public = new_key_pair()
    async with IcbcGatewaySim(apps={APP: public}) as sim, NotifySink() as sink:
        sim.notifier.retry_interval_s = 0.05
        channel = IcbcChannel(
            sim.url, APP, sim.mer_id, private, sim.gateway_public_pem, timeout_s=1.0
        )
        sink.channel = channel
        yield sim, channel, sink
        await channel.aclose()


def order(sink: NotifySink, no: str = "KF20261207000001", fen: int = 12345) -> ChannelOrder:
    return ChannelOrder(no, fen, "格尔木市自来水公司 水费", sink.notify_url("icbc"), 300)


async def test_round_trip_paid_notified_queried_refunded(world) -> None:  # type: ignore[no-untyped-def]
    sim, channel, sink = world
    pre = await channel.precreate(order(sink))
    assert pre.qr_content.startswith(sim.url + "/pay/")
    assert (await channel.query("KF20261207000001")).state == "waiting"
    assert "支付成功" in await phone(pre.qr_content, "confirm")
    await sink.wait(accepted=1)
    note = sink.accepted[0]
    assert (note.status.out_trade_no, note.status.state, note.status.amount_fen) == (
        "KF20261207000001",
        "paid",
        12345,
    )
    status = await channel.query("KF20261207000001")
    assert (status.state, status.amount_fen, status.trade_no) == (
        "paid",
        12345,
        note.status.trade_no,
    )
    assert status.paid_at is not None
    refunded = await channel.refund("KF20261207000001", "RF1", 2345, "test")
    again = await channel.refund("KF20261207000001", "RF1", 2345, "test")
    assert refunded.amount_fen == again.amount_fen == 2345
    assert sim.book.trades["KF20261207000001"].refunded_fen == 2345
    with pytest.raises(ChannelError):
        await channel.close("KF20261207000001")  # paid: not closable


async def test_precreate_is_idempotent_and_close_closes(world) -> None:  # type: ignore[no-untyped-def]
    _sim, channel, sink = world
    first = await channel.precreate(order(sink, "KF2"))
    assert (await channel.precreate(order(sink, "KF2"))).qr_content == first.qr_content
    await channel.close("KF2")
    await channel.close("KF2")
    assert (await channel.query("KF2")).state == "closed"
    assert "已关闭" in await phone_page(first.qr_content)


async def phone_page(url: str) -> str:
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).text


async def test_repeated_notifications_all_verify(world) -> None:  # type: ignore[no-untyped-def]
    sim, channel, sink = world
    sim.notifier.repeats = 2
    pre = await channel.precreate(order(sink, "KF3"))
    await phone(pre.qr_content, "confirm")
    await sink.wait(accepted=3)
    assert {n.status.out_trade_no for n in sink.accepted} == {"KF3"}


async def test_forged_notification_refused_and_not_retried_into_success(world) -> None:  # type: ignore[no-untyped-def]
    sim, channel, sink = world
    await channel.precreate(order(sink, "KF4"))
    sim.notifier.send(sim.book.trades["KF4"], forged=True)
    await sink.wait(refused=1)
    await sim.book.wait_deliveries(1)
    assert sink.accepted == []
    assert sim.book.deliveries[0].accepted is False
    assert "signature" in sink.refused[0]


async def test_a_tampered_notification_body_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    sim, channel, sink = world
    await channel.precreate(order(sink, "KF5"))
    body, media = sim._notification(sim.book.trades["KF5"], False)
    assert channel.verify_notify(body, media, {}).status.amount_fen == 12345
    tampered = body.replace(b"12345", b"1")
    from cloud.kiosk.pay.channel import ForgedNotification

    with pytest.raises(ForgedNotification):
        channel.verify_notify(tampered, media, {})
    with pytest.raises(ForgedNotification):
        channel.verify_notify(b"\xff\xfe", media, {})


@pytest.mark.parametrize("fault", ["timeout", "maintenance", "bad_signature", "malformed"])
async def test_faults_become_channel_errors(world, fault: str) -> None:  # type: ignore[no-untyped-def]
    sim, channel, sink = world
    sim.faults.stall_s = 5
    sim.faults.fail_next(fault)  # type: ignore[arg-type]
    with pytest.raises(ChannelError) as caught:
        await channel.precreate(order(sink, "KF6"))
    assert caught.value.citizen[0].startswith("支付渠道")
    assert (await channel.precreate(order(sink, "KF6"))).qr_content  # the next one works


async def test_a_request_signed_with_another_key_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    sim, _channel, sink = world
    stranger = IcbcChannel(sim.url, APP, sim.mer_id, new_key_pair()[0], sim.gateway_public_pem)
    with pytest.raises(ChannelError, match="400017"):
        await stranger.precreate(order(sink, "KF7"))
    await stranger.aclose()


async def test_statement_lists_the_days_payments_and_refunds(world) -> None:  # type: ignore[no-untyped-def]
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


async def test_a_late_notification_by_hand_arrives_after_the_query_says_paid(
    world: World,
) -> None:
    sim, channel, sink = world
    sim.notifier.late_s = 60  # the automatic one would come much later
    pre = await channel.precreate(order(sink, "KF10"))
    await phone(pre.qr_content, "confirm")
    assert (await channel.query("KF10")).state == "paid"  # paid, nobody told yet
    assert sink.accepted == []
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{sim.url}/sim/notify/KF10", params={"late_s": "0.2"})
        assert r.status_code == 200
        assert (await client.post(f"{sim.url}/sim/notify/NOPE")).status_code == 404
        forged = await client.post(f"{sim.url}/sim/notify/KF10", params={"forged": "1"})
        assert forged.status_code == 200
    await sink.wait(accepted=1, refused=1)
    assert sink.accepted[0].status.out_trade_no == "KF10"
