"""Site failover on real parts: a site job is never printed twice, even when it moves.

Two real kiosks (in-process agents) on one site, each with its own ESC/POS printer
simulator; the real cloud and Mosquitto. Kiosk A, which the cloud picks first, reaches the
broker through an MQTT tap, so its link is cut at an exact step of the movable-job handshake
(protocol §7): before the ``job.run`` arrives; after it arrived but before the broker has
the ``accepted`` ack; after the broker took ``accepted`` but before its PUBACK reached A;
after the PUBACK, in the middle of printing; after printing, before ``succeeded``.

Each case ends in the state the protocol defines, with exactly one receipt for the job over
both printers. Where A cannot have run the job (it never got the broker's PUBACK before the
delivery deadline) and the cloud never learnt that A took it, the job moves and B prints it;
where the cloud knows A took it, it waits for A, however long A is gone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from protocols.jobs import AckState
from tests.faults.ledger import STATUS_QUERIES, TERMINAL, receipt_bytes, wait_state
from tests.faults.ledger import job as get_job
from tests.faults.mqtt_tap import job_ack, job_run, passes
from tests.faults.procs import Mosquitto
from tests.faults.site_kit import (
    GRACE_S,
    Site,
    counted,
    counts_reach,
    cut_at,
    cut_at_puback,
    events,
    hold_at,
    journal_settles,
    journal_state,
    past_deadline,
    past_failover_point,
    presence,
    submit_site,
    two_kiosks,
)

#: how long A's link stays cut when it comes back before its delivery deadline, and that
#: case's grace: A has 4.5 s to reconnect and deliver its accepted, on a busy machine
SHORT_OUTAGE_S, LONG_GRACE_S = 1.5, GRACE_S + 2


async def moved_to_b(site: Site, job_id: str) -> None:
    """The job ended ``succeeded`` on B as a second attempt, moved there by failover."""
    done = await wait_state(site.client, job_id, TERMINAL, timeout=30)
    assert done["state"] == "succeeded", done
    assert done["device_id"] == site.b.device_id and done["attempts"] == 2, done
    assert ("queued", "failover", site.a.device_id) in await events(site, job_id)


async def a_back(site: Site) -> None:
    """Heal A's link; until A is online again with nothing left to send."""
    assert site.a.agent is not None
    site.tap.rule = passes
    await site.tap.heal()
    await presence(site.client, site.a.device_id, True, timeout=30)
    async with asyncio.timeout(30):
        await site.a.agent.link.publisher.idle.wait()


async def test_cut_before_the_job_run_reaches_a(
    tmp_path: Path, uid: str, broker: Mosquitto
) -> None:
    async with two_kiosks(tmp_path, uid, broker) as site:
        a = site.a.device_id
        site.tap.rule = cut_at(job_run(a))
        job = await submit_site(site, tag := f"before-run-{uid}")
        assert job["device_id"] == a, job
        await site.tap.wait_for(job_run(a, job["id"]), what="the job.run to A")

        await moved_to_b(site, job["id"])
        await a_back(site)
        assert site.a.job_state(job["id"]) is None  # A never heard of it
    assert site.receipts() == ({}, {tag: 1})


async def test_job_run_reaches_a_after_its_delivery_deadline(
    tmp_path: Path, uid: str, broker: Mosquitto
) -> None:
    """The link from the broker to A stalls with the ``job.run`` in it until the command's
    delivery deadline has passed; A stays online (its side of the link flows). A must not run
    it, and must say so as the protocol says (``connection_lost``: nothing ran, the job may
    run elsewhere), not ``expired`` — the job's own TTL is far away, and an expired job would
    end failed, never printed."""
    async with two_kiosks(tmp_path, uid, broker) as site:
        a = site.a.device_id
        site.tap.rule = hold_at(job_run(a))
        job = await submit_site(site, tag := f"late-run-{uid}")
        run = await site.tap.wait_for(job_run(a, job["id"]), what="the job.run to A")
        await past_deadline(run)  # the fault: the stall outlasts the delivery deadline
        site.tap.release()

        done = await wait_state(site.client, job["id"], TERMINAL, timeout=30)
        assert (done["state"], done["attempts"]) == ("succeeded", 2), done
        assert ("queued", "connection_lost", a) in await events(site, job["id"])
    assert site.total() == {tag: 1}


async def test_accepted_lost_and_a_gone_past_its_deadline(
    tmp_path: Path, uid: str, broker: Mosquitto
) -> None:
    """A got the job and acked ``accepted``, but the ack never reached the broker: A must not
    run it (no PUBACK before the deadline), the cloud moves it, B prints it."""
    async with two_kiosks(tmp_path, uid, broker) as site:
        a = site.a.device_id
        site.tap.rule = cut_at(job_ack(a, "accepted"))
        job = await submit_site(site, tag := f"accepted-lost-{uid}")
        await site.tap.wait_for(job_ack(a, "accepted", job["id"]), what="A's accepted")

        await moved_to_b(site, job["id"])
        wrong = await counted(site, "rejected", "ack_wrong_device")
        await a_back(site)  # its outbox sends accepted again; the PUBACK is too late now
        settled = await journal_settles(site.a, job["id"])
        assert site.total() == {tag: 1}  # B printed it; A did not, though it has the job
        assert settled is AckState.FAILED  # at its deadline, not run
        assert site.a.agent is not None
        assert site.a.agent.counters["jobs_unconfirmed"] == 1
        assert await counts_reach(site, "rejected", "ack_wrong_device", wrong + 2) == wrong + 2
        assert (await get_job(site.client, job["id"]))["device_id"] == site.b.device_id
    assert site.receipts() == ({}, {tag: 1})


async def test_accepted_lost_and_a_back_before_its_deadline(
    tmp_path: Path, uid: str, broker: Mosquitto
) -> None:
    """The same loss, but A is back within the grace: its outbox sends ``accepted`` again,
    the PUBACK comes in time, A prints; the cloud, which saw A offline meanwhile, must not
    have moved the job before the deadline."""
    async with two_kiosks(tmp_path, uid, broker, grace_s=LONG_GRACE_S) as site:
        a = site.a.device_id
        site.tap.rule = cut_at(job_ack(a, "accepted"))
        job = await submit_site(site, tag := f"back-in-time-{uid}")
        run = await site.tap.wait_for(job_run(a, job["id"]), what="the job.run to A")
        await site.tap.wait_for(job_ack(a, "accepted", job["id"]), what="A's accepted")
        await presence(site.client, a, False, timeout=10)  # the broker fired A's will
        await asyncio.sleep(SHORT_OUTAGE_S)  # the fault: an outage shorter than the grace
        await a_back(site)
        await journal_state(site.a, job["id"], AckState.SUCCEEDED)  # A printed it

        done = await wait_state(site.client, job["id"], TERMINAL, timeout=30)
        assert site.total() == {tag: 1}  # and B did not
        assert done["state"] == "succeeded", done
        assert done["device_id"] == a and done["attempts"] == 1, done
        await past_failover_point(run)  # and nothing moves afterwards either
        assert (await get_job(site.client, job["id"]))["attempts"] == 1
    assert site.receipts() == ({tag: 1}, {})


async def test_puback_of_accepted_lost(tmp_path: Path, uid: str, broker: Mosquitto) -> None:
    """The broker took A's ``accepted`` (so the cloud knows A has the job) but the link died
    before the PUBACK reached A. The job never moves — though A is offline past the failover
    point — and A does not run it (no PUBACK by its deadline). When A is back, its outbox
    sends ``accepted`` again (the cloud drops the copy) and ``failed``/``connection_lost``,
    so the cloud retries the job: it is printed once."""
    async with two_kiosks(tmp_path, uid, broker) as site:
        a = site.a.device_id
        site.tap.rule = cut_at_puback(job_ack(a, "accepted"))
        job = await submit_site(site, tag := f"puback-lost-{uid}")
        run = await site.tap.wait_for(job_run(a, job["id"]), what="the job.run to A")
        await wait_state(site.client, job["id"], {"accepted"}, timeout=10)
        await presence(site.client, a, False, timeout=10)
        await journal_state(site.a, job["id"], AckState.FAILED)
        await past_failover_point(run)
        held = await get_job(site.client, job["id"])
        assert held["state"] == "accepted" and held["device_id"] == a, held
        assert site.total() == {}  # printed nowhere yet

        copies = await counted(site, "ignored", "duplicate_message")
        await a_back(site)
        done = await wait_state(site.client, job["id"], TERMINAL, timeout=30)
        assert done["state"] == "succeeded" and done["attempts"] == 2, done
        await counts_reach(site, "ignored", "duplicate_message", copies + 1)
    assert site.total() == {tag: 1}


@pytest.mark.parametrize("step", ["mid_print", "after_print"])
async def test_a_cut_off_while_printing(
    tmp_path: Path, uid: str, broker: Mosquitto, step: str
) -> None:
    """A confirmed the job (PUBACK in time) and is printing — half the receipt, or all of it
    but not yet ``succeeded`` — when its link is cut for longer than grace + margin. The job
    stays A's; A finishes it offline and reports once it is back."""
    async with two_kiosks(tmp_path, uid, broker) as site:
        a, tag = site.a.device_id, f"{step}-{uid}"
        printer = site.a.printer
        printer.faults.hold_after_bytes = STATUS_QUERIES + (
            receipt_bytes(tag) // 2 if step == "mid_print" else receipt_bytes(tag)
        )
        job = await submit_site(site, tag)
        run = await site.tap.wait_for(job_run(a, job["id"]), what="the job.run to A")
        await printer.wait_held(1, timeout=20)
        await wait_state(site.client, job["id"], {"running"}, timeout=10)
        site.tap.partition()
        await presence(site.client, a, False, timeout=10)
        await past_failover_point(run)
        held = await get_job(site.client, job["id"])
        assert held["state"] == "running" and held["device_id"] == a, held
        assert site.receipts()[1] == {}  # B printed nothing

        printer.faults.hold_after_bytes = None
        printer.release()
        await journal_state(site.a, job["id"], AckState.SUCCEEDED)  # finished while offline
        await a_back(site)
        done = await wait_state(site.client, job["id"], TERMINAL, timeout=30)
        assert done["state"] == "succeeded", done
        assert done["device_id"] == a and done["attempts"] == 1, done
    assert site.receipts() == ({tag: 1}, {})
