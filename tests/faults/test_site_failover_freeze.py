"""Site failover with kiosk A frozen (SIGSTOP) the moment its ``accepted`` is on the wire.

A is a real agent process. The tap stops it as soon as it reads A's ``accepted`` PUBLISH,
then forwards that PUBLISH: the broker takes it and sends its PUBACK into the socket of a
process that cannot read it. The cloud therefore knows A has the job; the broker gives up on
the silent A after 1.5 × its keepalive and fires its will. Past the failover point the job
must still be A's (it is ``accepted``: it never moves), nothing printed anywhere. A is then
resumed, long after its delivery deadline: whether it runs the job or fails it (a PUBACK
read after the deadline), the job ends ``succeeded`` with exactly one receipt.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.faults.ledger import TERMINAL, wait_state
from tests.faults.ledger import job as get_job
from tests.faults.mqtt_tap import Packet, Verdict, job_ack, job_run, puback_of
from tests.faults.procs import AgentProcess, Mosquitto, tail
from tests.faults.site_kit import past_failover_point, presence, submit_site, two_kiosks

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
            await presence(site.client, a, False, timeout=4 * KEEPALIVE_S)  # the will
            await past_failover_point(run)
            held = await get_job(site.client, job["id"])
            assert held["state"] == "accepted" and held["device_id"] == a, held
            assert site.total() == {}

            os.kill(agent.pid, signal.SIGCONT)
            done = await wait_state(site.client, job["id"], TERMINAL, timeout=30)
            assert done["state"] == "succeeded", f"{done}\n{tail(agent.log)}"
            print(f"after the thaw: attempt {done['attempts']} on {done['device_id']}")
    assert site.total() == {tag: 1}
