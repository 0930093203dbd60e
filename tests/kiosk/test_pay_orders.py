"""Payment orders through the kiosk API, the public notify endpoint and the console, against
the utilities' bill simulator and the double channel (tests/kiosk/pay_double.py): idempotent
orders, the bill re-checked, a notification applied once however often or late it comes, a
forged one refused, an unknown order acknowledged and logged, timeouts closed at the channel,
receipts reprinted without a second charge, refunds, the ledger."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.hall.ticket_token import HALL_TZ
from tests.kiosk.pay_double import NAME
from tests.kiosk.pay_kit import ACCOUNTS, PayEnv, all_notifications, pay_env

UTILITIES = list(ACCOUNTS)


@pytest.fixture
async def env(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[PayEnv]:
    async with pay_env(tmp_path, amqtt_url, monkeypatch) as e:
        yield e


async def test_options_name_the_utilities_and_the_configured_channels(env: PayEnv) -> None:
    r = await env.kiosk.get("/api/v1/kiosk/pay/options")
    assert r.status_code == 200, r.text
    out = r.json()
    assert [u["code"] for u in out["utilities"]] == UTILITIES
    assert "double" in out["channels"] and out["available"] is True


@pytest.mark.parametrize("utility", UTILITIES)
async def test_each_utility_answers_its_bill_masked(env: PayEnv, utility: str) -> None:
    account = env.sim.accounts[(utility, ACCOUNTS[utility])]
    r = await env.bill(utility)
    assert r.status_code == 200, r.text
    bill = r.json()
    assert bill["amount_fen"] == account.amount_fen and bill["bill_no"] == account.bill_no
    assert bill["account_masked"] == "****" + ACCOUNTS[utility][-4:]
    assert bill["holder_masked"] == account.holder[0] + "*"
    assert ACCOUNTS[utility] not in r.text and account.holder not in r.text


async def test_an_unknown_account_is_404_with_the_citizens_sentence(env: PayEnv) -> None:
    r = await env.bill("power", "0809999999")
    body = r.json()
    assert (r.status_code, body["code"]) == (404, "account_not_found")
    assert "户号" in body["citizen_message"] and "account" in body["citizen_message_en"]


async def test_an_order_is_idempotent_per_request(env: PayEnv) -> None:
    first = await env.order("water", "req-water-0001")
    assert first.status_code == 201, first.text
    again = await env.order("water", "req-water-0001")
    assert again.json()["id"] == first.json()["id"]
    assert [c for c in env.gateway.calls if c[0] == "precreate"] == [
        ("precreate", first.json()["out_trade_no"])
    ]
    other = await env.order("water", "req-water-0001", channel="double", amount_fen=1)
    assert (other.status_code, other.json()["code"]) == (409, "request_reused")


async def test_a_bill_changed_between_query_and_pay_is_refused_with_the_new_amount(
    env: PayEnv,
) -> None:
    shown = (await env.bill("gas")).json()
    env.sim.change_bill("gas", ACCOUNTS["gas"], 5199)
    body = {
        "request_id": "req-gas-00001",
        "utility": "gas",
        "account": ACCOUNTS["gas"],
        "bill_no": shown["bill_no"],
        "amount_fen": shown["amount_fen"],
        "channel": "double",
    }
    r = await env.kiosk.post("/api/v1/kiosk/pay/orders", json=body)
    out = r.json()
    assert (r.status_code, out["code"]) == (409, "bill_changed")
    assert "51.99" in out["citizen_message"] and "51.99" in out["citizen_message_en"]
    assert env.gateway.calls == []  # no trade was opened


async def test_paid_notified_written_back_receipted_and_reprinted_without_a_second_charge(
    env: PayEnv,
) -> None:
    order = (await env.order("power", "req-power-0001")).json()
    assert order["state"] == "waiting" and order["qr_content"].endswith(order["out_trade_no"])
    body = await env.gateway.phone_pays(order["out_trade_no"])
    r = await env.notify(body)
    assert (r.status_code, r.text) == (200, "success")
    again = await env.notify(body)  # the gateway repeats itself
    assert (again.status_code, again.text) == (200, "success")
    polled = await env.poll(order["id"])
    assert polled["state"] == "paid" and polled["qr_content"] == ""
    assert [p.out_trade_no for p in env.sim.paid] == [order["out_trade_no"]]
    assert await env.outcomes(order["out_trade_no"]) == ["applied", "repeat"]
    first = await env.kiosk.post(f"/api/v1/kiosk/pay/orders/{order['id']}/receipt")
    second = await env.kiosk.post(f"/api/v1/kiosk/pay/orders/{order['id']}/receipt")
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert (first.json()["prints"], second.json()["prints"]) == (1, 2)
    job1, job2 = await env.job(first.json()["job_id"]), await env.job(second.json()["job_id"])
    assert job1.purpose == job2.purpose == "payment" and job1.id != job2.id
    texts = [" ".join(line.get("text", "") for line in j.params["lines"]) for j in (job1, job2)]
    assert "补打" not in texts[0] and "补打" in texts[1]
    assert "187.45" in texts[0] and ACCOUNTS["power"] not in texts[0]
    assert env.gateway.charges() == 1
    assert [c[0] for c in env.gateway.calls] == ["precreate"]  # printing never asks the channel


async def test_a_forged_notification_is_refused_and_changes_nothing(
    env: PayEnv, caplog: pytest.LogCaptureFixture
) -> None:
    order = (await env.order("landline", "req-tel-00001")).json()
    real = env.gateway.notification(order["out_trade_no"], amount_fen=order["amount_fen"])
    forged = real.replace(b'"sign": "', b'"sign": "0')
    r = await env.notify(forged)
    assert (r.status_code, r.json()["code"]) == (400, "notification_forged")
    garbage = await env.notify(b"<xml>not a notification</xml>")
    assert garbage.status_code == 400
    assert (await env.poll(order["id"]))["state"] == "waiting"
    assert [n.outcome for n in await all_notifications(env)] == ["forged", "forged"]
    assert "refused" in caplog.text and env.sim.paid == []


async def test_a_notification_for_an_unknown_order_is_acknowledged_and_logged(
    env: PayEnv, caplog: pytest.LogCaptureFixture
) -> None:
    order = (await env.order("water", "req-water-0002")).json()
    env.gateway.trades["20261207000000999"] = env.gateway.trades[order["out_trade_no"]]
    body = env.gateway.notification("20261207000000999", amount_fen=100)
    caplog.set_level(logging.WARNING)
    r = await env.notify(body)
    assert (r.status_code, r.text) == (200, "success")
    assert "an order we do not have" in caplog.text
    assert await env.outcomes("20261207000000999") == ["unknown_order"]
    assert (await env.poll(order["id"]))["state"] == "waiting"


async def test_a_timed_out_order_is_closed_at_the_channel_and_a_late_payment_is_held(
    env: PayEnv,
) -> None:
    order = (await env.order("gas", "req-gas-00002")).json()
    env.later(301)
    polled = await env.poll(order["id"])
    assert (polled["state"], polled["flag"]) == ("closed", "timeout")
    assert env.gateway.trades[order["out_trade_no"]].state == "closed"
    # a notification the gateway sent before it closed, arriving after our close
    env.gateway.trades[order["out_trade_no"]].paid_fen = order["amount_fen"]
    late = env.gateway.notification(order["out_trade_no"])
    assert (await env.notify(late)).status_code == 200
    row = await env.row(order["id"])
    assert (row.state, row.flag, row.writeback) == ("paid", "paid_after_close", "held")
    assert env.sim.paid == [] and await env.outcomes(order["out_trade_no"]) == ["late"]


async def test_the_sweep_closes_what_timed_out(env: PayEnv) -> None:
    order = (await env.order("water", "req-water-0003")).json()
    env.later(301)
    await env.admin.sweep_once()
    assert (await env.row(order["id"])).state == "closed"
    assert ("close", order["out_trade_no"]) in env.gateway.calls


async def test_an_amount_that_differs_at_notification_is_held_not_written_back(
    env: PayEnv,
) -> None:
    order = (await env.order("landline", "req-tel-00002")).json()
    body = await env.gateway.phone_pays(order["out_trade_no"], amount_fen=1)
    assert (await env.notify(body)).status_code == 200
    row = await env.row(order["id"])
    assert (row.state, row.flag, row.writeback, row.paid_amount_fen) == (
        "paid",
        "amount_mismatch",
        "held",
        1,
    )
    assert env.sim.paid == []


async def test_a_missed_notification_is_found_by_the_query(env: PayEnv) -> None:
    order = (await env.order("power", "req-power-0002")).json()
    await env.gateway.phone_pays(order["out_trade_no"])  # the notification is lost
    env.later(20)
    assert (await env.poll(order["id"]))["state"] == "paid"
    assert len(env.sim.paid) == 1


async def test_cancel_closes_at_the_channel_and_a_paid_order_is_not_cancelled(
    env: PayEnv,
) -> None:
    order = (await env.order("water", "req-water-0004")).json()
    r = await env.kiosk.post(f"/api/v1/kiosk/pay/orders/{order['id']}/cancel")
    assert (r.status_code, r.json()["state"], r.json()["flag"]) == (200, "closed", "cancelled")
    paid = (await env.order("power", "req-power-0003")).json()
    await env.notify(await env.gateway.phone_pays(paid["out_trade_no"]))
    refused = await env.kiosk.post(f"/api/v1/kiosk/pay/orders/{paid['id']}/cancel")
    assert (refused.status_code, refused.json()["code"]) == (409, "order_state")
    unpaid_receipt = await env.kiosk.post(f"/api/v1/kiosk/pay/orders/{order['id']}/receipt")
    assert (unpaid_receipt.status_code, unpaid_receipt.json()["code"]) == (409, "order_state")


async def test_a_paid_order_closed_by_the_citizen_stays_paid(env: PayEnv) -> None:
    """The phone paid a moment before 取消: the channel refuses to close, the order is paid."""
    order = (await env.order("gas", "req-gas-00003")).json()
    await env.gateway.phone_pays(order["out_trade_no"])
    r = await env.kiosk.post(f"/api/v1/kiosk/pay/orders/{order['id']}/cancel")
    assert (r.status_code, r.json()["state"]) == (200, "paid")


async def test_refunds_in_the_console_and_the_ledger(env: PayEnv) -> None:
    order = (await env.order("power", "req-power-0004")).json()
    await env.notify(await env.gateway.phone_pays(order["out_trade_no"]))
    url = f"/api/v1/pay/orders/{order['id']}/refunds"
    too_much = await env.operator.post(url, json={"amount_fen": 99_999, "reason": "多缴"})
    assert (too_much.status_code, too_much.json()["code"]) == (422, "refund_too_large")
    part = await env.operator.post(url, json={"amount_fen": 745, "reason": "部分退款"})
    assert part.status_code == 201, part.text
    assert (part.json()["state"], part.json()["refunded_fen"]) == ("paid", 745)
    rest = await env.operator.post(url, json={"amount_fen": 18000, "reason": "全部退款"})
    assert (rest.json()["state"], len(rest.json()["refunds"])) == ("refunded", 2)
    assert [r["out_refund_no"][-2:] for r in rest.json()["refunds"]] == ["R1", "R2"]
    no_receipt = await env.kiosk.post(f"/api/v1/kiosk/pay/orders/{order['id']}/receipt")
    assert (no_receipt.status_code, no_receipt.json()["code"]) == (409, "order_state")
    listed = await env.operator.get("/api/v1/pay/orders", params={"state": "refunded"})
    assert [o["id"] for o in listed.json()["orders"]] == [order["id"]]
    audit = await env.cloud.audit_rows("payment.refund")
    assert [a.result for a in audit] == ["failed", "ok", "ok"]
    paid_at = (await env.row(order["id"])).paid_at
    assert paid_at is not None
    lines = await env.admin.ledger(NAME, paid_at.astimezone(HALL_TZ).date())
    assert [(x.kind, x.amount_fen) for x in lines] == [
        ("pay", 18745),
        ("refund", 745),
        ("refund", 18000),
    ]


async def test_a_refund_needs_its_permission(env: PayEnv) -> None:
    from fleet.access import PersonRole

    order = (await env.order("water", "req-water-0005")).json()
    auditor = await env.cloud.as_role(PersonRole.AUDITOR)
    r = await auditor.post(
        f"/api/v1/pay/orders/{order['id']}/refunds", json={"amount_fen": 1, "reason": "x"}
    )
    assert r.status_code == 403
    seen = await auditor.get(f"/api/v1/pay/orders/{order['id']}")
    assert seen.status_code == 200 and seen.json()["account_masked"].startswith("****")


async def test_an_unconfigured_channel_and_notify_channel(env: PayEnv) -> None:
    r = await env.order("water", "req-water-0006", channel="ccb")
    assert (r.status_code, r.json()["code"]) == (422, "channel_not_offered")
    n = await env.anon.post("/api/v1/pay/notify/ccb", content=b"x=1")
    assert n.status_code == 404


async def test_a_channel_down_at_the_timeout_is_closed_by_a_later_sweep(env: PayEnv) -> None:
    order = (await env.order("water", "req-water-0007")).json()
    env.later(301)
    env.gateway.fail = {"close", "query"}
    polled = await env.poll(order["id"])  # the kiosk still gets an answer
    assert polled["state"] == "waiting"
    await env.admin.sweep_once()
    row = await env.row(order["id"])
    assert (row.state, row.flag) == ("closed", "timeout")


async def test_no_account_in_the_logs(env: PayEnv, caplog: pytest.LogCaptureFixture) -> None:
    """The water company takes the account in its query string: httpx's request line drops it
    (INFO and up: aiosqlite's DEBUG lines echo every SQL parameter, of every table)."""
    caplog.set_level(logging.INFO)
    order = (await env.order("water", "req-water-0008")).json()
    await env.notify(await env.gateway.phone_pays(order["out_trade_no"]))
    assert (await env.poll(order["id"]))["state"] == "paid"
    assert "/water/api/v1/bill" in caplog.text  # the calls were logged...
    assert ACCOUNTS["water"] not in caplog.text  # ...without the account
