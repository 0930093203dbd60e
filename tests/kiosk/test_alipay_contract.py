"""The Alipay channel against the simulated gateway: a whole payment, close, refund, the
notifications (repeated, late, forged, for an order we never had) and the gateway's faults."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cloud.kiosk.pay.channel import ChannelError
from simulators.alipay_gateway import AlipayGatewaySim
from tests.kiosk.alipay_kit import APP_ID, Inbox, alipay_world, order


async def phone(qr: str, action: str | None = None) -> str:
    """What the person with the phone does: open the QR's page, maybe press a button."""
    async with httpx.AsyncClient(trust_env=False) as http:
        r = await http.get(qr) if action is None else await http.post(qr, data={"action": action})
        assert r.status_code == 200, r.text
        return r.text


def paid(inbox: Inbox, out_trade_no: str) -> bool:
    return any(
        n.status.out_trade_no == out_trade_no and n.status.state == "paid" for n in inbox.accepted
    )


async def test_a_payment_from_qr_to_notification_and_query() -> None:
    async with alipay_world() as (sim, channel, inbox):
        made = await channel.precreate(order(inbox, "K20261207000001", 8650))
        assert made.qr_content.startswith(sim.url + "/pay/bax")
        before = await channel.query("K20261207000001")
        assert before.state == "waiting" and before.trade_no == ""  # nobody scanned it yet
        page = await phone(made.qr_content)
        assert "86.50" in page and "确认付款" in page
        scanned = await channel.query("K20261207000001")
        assert scanned.state == "waiting" and scanned.trade_no
        await phone(made.qr_content, "confirm")
        await inbox.wait(lambda i: paid(i, "K20261207000001"))
        note = inbox.accepted[0]
        assert note.status.amount_fen == 8650 and note.status.trade_no == scanned.trade_no
        assert note.status.paid_at is not None and note.notify_id
        after = await channel.query("K20261207000001")
        assert (after.state, after.amount_fen, after.trade_no) == ("paid", 8650, scanned.trade_no)
        assert after.paid_at == note.status.paid_at
        assert inbox.refused == []


async def test_precreate_is_idempotent_per_order_number_and_refuses_a_changed_amount() -> None:
    async with alipay_world() as (sim, channel, inbox):
        first = await channel.precreate(order(inbox, "K1", 100))
        again = await channel.precreate(order(inbox, "K1", 100))
        assert again.qr_content == first.qr_content
        with pytest.raises(ChannelError, match=r"ACQ\.CONTEXT_INCONSISTENT"):
            await channel.precreate(order(inbox, "K1", 101))
        assert sim.pay("K1")
        with pytest.raises(ChannelError, match=r"ACQ\.TRADE_HAS_SUCCESS"):
            await channel.precreate(order(inbox, "K1", 100))


async def test_close_an_unscanned_a_waiting_and_refuse_to_close_a_paid_trade() -> None:
    async with alipay_world() as (sim, channel, inbox):
        await channel.precreate(order(inbox, "K-unscanned"))
        await channel.close("K-unscanned")  # no trade at Alipay yet: nothing to close
        waiting = await channel.precreate(order(inbox, "K-waiting"))
        await phone(waiting.qr_content)
        await channel.close("K-waiting")
        await channel.close("K-waiting")  # closing a closed trade is fine
        assert (await channel.query("K-waiting")).state == "closed"
        await inbox.wait(lambda i: any(n.status.state == "closed" for n in i.accepted))
        await channel.precreate(order(inbox, "K-paid"))
        assert sim.pay("K-paid")
        with pytest.raises(ChannelError, match="it is paid"):
            await channel.close("K-paid")


async def test_the_phone_cancels_and_the_trade_closes_with_a_notification() -> None:
    async with alipay_world() as (_sim, channel, inbox):
        made = await channel.precreate(order(inbox, "K-cancel"))
        await phone(made.qr_content)
        page = await phone(made.qr_content, "cancel")
        assert "交易已关闭" in page
        await inbox.wait(lambda i: any(n.status.state == "closed" for n in i.accepted))
        assert (await channel.query("K-cancel")).state == "closed"


async def test_an_unpaid_trade_past_its_timeout_is_closed_by_the_gateway() -> None:
    async with alipay_world() as (sim, channel, inbox):
        made = await channel.precreate(order(inbox, "K-late", timeout_s=30))
        trade = sim.qr_trade(made.qr_content)
        assert trade is not None and trade.expires_at - trade.created_at == timedelta(minutes=1)
        await phone(made.qr_content)
        trade.expires_at = datetime.now(UTC)  # the minute is over
        await inbox.wait(lambda i: any(n.status.state == "closed" for n in i.accepted))
        assert not sim.pay("K-late")


async def test_refunds_part_then_the_rest_once_per_refund_number() -> None:
    async with alipay_world() as (sim, channel, inbox):
        await channel.precreate(order(inbox, "K-refund", 1000))
        assert sim.pay("K-refund")
        part = await channel.refund("K-refund", "R1", 300, "账单多收")
        assert (part.out_refund_no, part.amount_fen) == ("R1", 300)
        again = await channel.refund("K-refund", "R1", 500, "账单多收")  # a repeat, misremembered
        assert (again.amount_fen, again.refunded_at) == (300, part.refunded_at)
        assert sim.requests[-1][0] == "alipay.trade.fastpay.refund.query"
        trade = sim.trade("K-refund")
        assert trade is not None and trade.refunded_fen == 300  # the repeat moved no money
        assert (await channel.query("K-refund")).state == "paid"
        with pytest.raises(ChannelError, match=r"ACQ\.REFUND_AMT_NOT_EQUAL_TOTAL"):
            await channel.refund("K-refund", "R2", 701, "too much")
        await channel.refund("K-refund", "R3", 700, "全部退回")
        assert (await channel.query("K-refund")).state == "refunded"
        await inbox.wait(lambda i: any(n.status.state == "refunded" for n in i.accepted))


async def test_repeated_notifications_share_their_notify_id() -> None:
    async with alipay_world(notify_repeats=2) as (sim, channel, inbox):
        await channel.precreate(order(inbox, "K-dup"))
        assert sim.pay("K-dup")
        await inbox.wait(lambda i: len(i.accepted) == 3)
        sim.resend("K-dup")
        await inbox.wait(lambda i: len(i.accepted) == 4)
        assert len({n.notify_id for n in inbox.accepted}) == 1
        assert {n.status.state for n in inbox.accepted} == {"paid"}


async def test_a_late_notification_still_verifies_after_the_query_saw_the_payment() -> None:
    async with alipay_world(notify_delay_s=0.5) as (sim, channel, inbox):
        await channel.precreate(order(inbox, "K-slow"))
        assert sim.pay("K-slow")
        assert (await channel.query("K-slow")).state == "paid"
        assert inbox.accepted == []  # the notification is still on its way
        await inbox.wait(lambda i: paid(i, "K-slow"))


@pytest.mark.parametrize("how", ["key", "amount"])
async def test_a_forged_notification_is_refused_and_the_gateway_is_told_failure(
    how: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "cloud.kiosk.pay.alipay")
    async with alipay_world() as (sim, channel, inbox):
        await channel.precreate(order(inbox, "K-forged"))
        sim.send_forged("K-forged", how)
        await inbox.wait(lambda i: len(i.refused) == 1)
        assert "signature" in inbox.refused[0] and inbox.accepted == []
        await sim.wait_sent(lambda s: s.forged == how and s.reply == "failure")
        assert any("notification refused" in r.getMessage() for r in caplog.records)


async def test_a_notification_for_an_order_we_never_had_verifies_and_names_it() -> None:
    """Genuine but unknown: the channel vouches for the signature, the order service finds no
    order under that number (and answers success so that Alipay stops)."""
    async with alipay_world() as (sim, _channel, inbox):
        sim.send_stranger(inbox.url, APP_ID, "NOT-OURS-1")
        await inbox.wait(lambda i: len(i.accepted) == 1)
        assert inbox.accepted[0].status.out_trade_no == "NOT-OURS-1"


async def test_a_notification_for_another_app_is_refused() -> None:
    async with alipay_world() as (sim, _channel, inbox):
        sim.send_stranger(inbox.url, "2021000000000999", "K-other-app")
        await inbox.wait(lambda i: len(i.refused) == 1)
        assert "not ours" in inbox.refused[0]


async def test_a_gateway_that_does_not_answer_in_time_is_a_channel_error() -> None:
    async with alipay_world(timeout_s=0.3, stall_s=5.0) as (_sim, channel, _inbox):
        started = asyncio.get_running_loop().time()
        with pytest.raises(ChannelError, match="no answer"):
            await channel.query("K-stall")
        assert asyncio.get_running_loop().time() - started < 2.0


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("maintenance", "20000"),
        ("malformed", "documented shape"),
        ("wrong_answer_key", "signature does not verify"),
    ],
)
async def test_gateway_faults_are_channel_errors(fault: str, said: str) -> None:
    async with alipay_world() as (sim, channel, inbox):
        setattr(sim, fault, True)
        with pytest.raises(ChannelError, match=said):
            await channel.precreate(order(inbox, "K-fault"))
        # the gateway refused in maintenance; otherwise it made the trade and the answer was lost
        assert (sim.trade("K-fault") is None) == (fault == "maintenance")


async def test_a_request_signed_with_the_wrong_key_is_refused_by_the_gateway() -> None:
    async with alipay_world() as (sim, channel, _inbox):
        sim.apps[APP_ID] = AlipayGatewaySim().public_key  # Alipay holds another key of ours
        with pytest.raises(ChannelError, match=r"isv\.invalid-signature"):
            await channel.query("K-any")
        assert sim.requests[-1] == ("alipay.trade.query", "40002", "isv.invalid-signature")


async def test_a_genuine_answer_about_another_order_does_not_settle_this_one() -> None:
    """Alipay's signature binds the answer, not the question: a replayed answer is refused."""
    async with alipay_world() as (sim, channel, inbox):
        for number in ("K-paid-one", "K-waiting-one"):
            await channel.precreate(order(inbox, number))
        assert sim.pay("K-paid-one")
        honest = sim.book.query
        sim.book.query = lambda app_id, biz: honest(app_id, {"out_trade_no": "K-paid-one"})  # type: ignore[method-assign]
        with pytest.raises(ChannelError, match="another order"):
            await channel.query("K-waiting-one")


async def test_the_phone_lists_the_codes_waiting_to_be_paid() -> None:
    """Whoever tries the demo without a phone opens the gateway's page and picks the code."""
    async with alipay_world() as (sim, channel, inbox):
        made = await channel.precreate(order(inbox, "K-listed", 4200))
        listed = await phone(sim.url + "/")
        path = made.qr_content.removeprefix(sim.url)
        assert f'href="{path}"' in listed and "42.00" in listed
        assert sim.pay("K-listed")
        assert path not in await phone(sim.url + "/")


async def test_the_control_api_turns_faults_on_and_sends_notifications_on_demand() -> None:
    """What a person trying ``kfleet sim alipay`` by itself does over HTTP."""
    async with (
        alipay_world(timeout_s=0.3) as (sim, channel, inbox),
        httpx.AsyncClient(base_url=sim.url, trust_env=False) as http,
    ):
        r = await http.post("/_sim/faults", json={"notify_repeats": 1, "stall_s": 1.0})
        assert r.status_code == 200 and r.json()["notify_repeats"] == 1
        with pytest.raises(ChannelError, match="no answer"):
            await channel.query("K-ctl")
        assert (await http.post("/_sim/faults", json={"stall_s": 0})).json()["stall_s"] == 0
        for bad in ({"stall_s": "1"}, {"maintenance": 1}, {"shutdown": True}):
            assert (await http.post("/_sim/faults", json=bad)).status_code == 422
        await channel.precreate(order(inbox, "K-ctl"))
        sent = await http.post("/_sim/notify", json={"out_trade_no": "K-ctl", "kind": "resend"})
        assert sent.status_code == 422  # nothing was notified yet
        assert sim.pay("K-ctl")
        await inbox.wait(lambda i: len(i.accepted) == 2)  # the payment, repeated once
        for kind in ("resend", "forged-amount"):
            r = await http.post("/_sim/notify", json={"out_trade_no": "K-ctl", "kind": kind})
            assert r.status_code == 202
        await inbox.wait(lambda i: len(i.accepted) == 4 and len(i.refused) == 1)
        missing = await http.post("/_sim/notify", json={"out_trade_no": "nope", "kind": "resend"})
        assert missing.status_code == 404
