"""Site failover with kiosk A a real agent process, frozen or killed mid-handshake.

Frozen (SIGSTOP) the moment its ``accepted`` is on the wire: the tap stops A as soon as it
reads that PUBLISH, then forwards it: the broker takes it and sends its PUBACK into the
socket of a process that cannot read it. The cloud therefore knows A has the job; the broker
gives up on the silent A after 1.5 × its keepalive and fires its will. Past the failover
point the job must still be A's (it is ``accepted``: it never moves), nothing printed
anywhere. A is then resumed, long after its delivery deadline: whether it runs the job or
fails it (a PUBACK read after the deadline), the job ends ``succeeded`` with one receipt.

Killed (SIGKILL) after it journaled the job and sent ``accepted``, which the link lost: the
job moves and B prints it; A, restarted afterwards, finds the unconfirmed job in its journal
and fails it (``connection_lost``) instead of running it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from edge_agent.jobs.journal import JobRecord, Journal
from protocols.jobs import AckState
from tests.faults.ledger import TERMINAL, wait_state
from tests.faults.ledger import job as get_job
from tests.faults.mqtt_tap import Packet, Verdict, job_ack, job_run, passes, puback_of
from tests.faults.procs import AgentProcess, Mosquitto, tail
from tests.faults.site_kit import (
    counted,
    counts_reach,
    cut_at,
    events,
    past_failover_point,
    presence,
    submit_site,
    two_kiosks,
)

KEEPALIVE_S = 5  # the agent's minimum: the broker drops a silent A after 7.5 s


async def test_a_frozen_with_its_accepted_on_the_wire(
    tmp_path: Path, uid: str, broker: Mosquitto
) -> None:
    async with two_kiosks(
        tmp_path, uid, broker, a_in_process=False, keepalive_s=KEEPALIVE_S
    ) as site:
        a = site.a.device_id
        with AgentProcess(site.a.config) as agent:
            agent.start()
            await presence(site.client, a, True, timeout=30)
            accepted, frozen = job_ack(a, "accepted"), []

            def freeze(p: Packet) -> Verdict:
                if not frozen and accepted(p):
                    agent.pause()  # written by A, not yet forwarded: A waits for its PUBACK
                    frozen.append(p)
                return Verdict.PASS

            site.tap.rule = freeze
            job = await submit_site(site, tag := f"frozen-{uid}")
            run = await site.tap.wait_for(job_run(a, job["id"]), what="the job.run to A")
            ack = await site.tap.wait_for(job_ack(a, "accepted", job["id"]), what="accepted")
            await site.tap.wait_for(puback_of(ack), what="its PUBACK", after=ack)
            await wait_state(site.client, job["id"], {"accepted"}, timeout=10)
            await presence(site.client, a, False, timeout=30)  # the will: 1.5 × keepalive + the
            # broker's own check interval (Mosquitto 2.0: every few seconds, see willkit.py)
            await past_failover_point(run)
            held = await get_job(site.client, job["id"])
            assert held["state"] == "accepted" and held["device_id"] == a, held
            assert site.total() == {}

            os.kill(agent.pid, signal.SIGCONT)
            done = await wait_state(site.client, job["id"], TERMINAL, timeout=30)
            assert done["state"] == "succeeded", f"{done}\n{tail(agent.log)}"
            print(f"after the thaw: attempt {done['attempts']} on {done['device_id']}")
    assert site.total() == {tag: 1}


async def test_a_frozen_with_the_job_run_unread(
    tmp_path: Path, uid: str, broker: Mosquitto
) -> None:
    """A is stopped the moment the broker sends it the ``job.run``; the broker drops the
    silent A, the job moves and B prints it. Thawed, A reads the command long after its
    delivery deadline: it must not run it."""
    async with two_kiosks(
        tmp_path, uid, broker, a_in_process=False, keepalive_s=KEEPALIVE_S
    ) as site:
        a = site.a.device_id
        with AgentProcess(site.a.config) as agent:
            agent.start()
            await presence(site.client, a, True, timeout=30)
            delivered, frozen = job_run(a), []

            def freeze(p: Packet) -> Verdict:
                if not frozen and delivered(p):
                    agent.pause()  # the job.run goes into the socket of a stopped process
                    frozen.append(p)
                return Verdict.PASS

            site.tap.rule = freeze
            job = await submit_site(site, tag := f"unread-{uid}")
            done = await wait_state(site.client, job["id"], TERMINAL, timeout=40)
            assert done["state"] == "succeeded" and done["device_id"] == site.b.device_id, done
            assert ("queued", "failover", a) in await events(site, job["id"])

            wrong = await counted(site, "rejected", "ack_wrong_device")
            os.kill(agent.pid, signal.SIGCONT)
            await counts_reach(site, "rejected", "ack_wrong_device", wrong + 1)  # its answer
            agent.kill()
        assert site.receipts() == ({}, {tag: 1})  # A did not print it
        rec = _journaled(site.a.config.parent, job["id"])
        assert rec is not None and rec.state is AckState.FAILED, f"{rec}\n{tail(agent.log)}"
        assert rec.last_ack.reason == "connection_lost", rec


def _journaled(agent_dir: Path, job_id: str) -> JobRecord | None:
    """``job_id`` as the (stopped) agent's journal has it."""
    journal = Journal(agent_dir / "data" / "jobs.sqlite3")
    try:
        return journal.get(job_id)
    finally:
        journal.close()


async def test_a_killed_before_its_accepted_reached_the_broker(
    tmp_path: Path, uid: str, broker: Mosquitto
) -> None:
    async with two_kiosks(tmp_path, uid, broker, a_in_process=False) as site:
        a = site.a.device_id
        with AgentProcess(site.a.config) as agent:
            agent.start()
            await presence(site.client, a, True, timeout=30)
            site.tap.rule = cut_at(job_ack(a, "accepted"))
            job = await submit_site(site, tag := f"killed-{uid}")
            await site.tap.wait_for(job_ack(a, "accepted", job["id"]), what="A's accepted")
            agent.kill()  # the job is in A's journal, its accepted in A's outbox

            done = await wait_state(site.client, job["id"], TERMINAL, timeout=30)
            assert done["state"] == "succeeded" and done["device_id"] == site.b.device_id, done
            assert ("queued", "failover", a) in await events(site, job["id"])

            wrong = await counted(site, "rejected", "ack_wrong_device")
            site.tap.rule = passes
            await site.tap.heal()
            agent.start()  # after B printed it: A must not run it now
            await counts_reach(site, "rejected", "ack_wrong_device", wrong + 2)  # accepted, failed
            agent.kill()  # the journal is committed: nothing to flush
        assert site.receipts() == ({}, {tag: 1})  # A did not print it
        rec = _journaled(site.a.config.parent, job["id"])
        assert rec is not None and rec.state is AckState.FAILED, f"{rec}\n{tail(agent.log)}"
        assert rec.last_ack.reason == "connection_lost", rec
    assert site.receipts() == ({}, {tag: 1})
