"""The agent itself lets no raw ID number or name out, whatever a driver or job writes.

A real agent on Mosquitto is handed an event and an ack that quote citizens' raw ID numbers
and a name (as a buggy driver or a department's answer would): what reaches the broker, the
outbox file and the logs (every logger at DEBUG) holds the masked forms only, and the agent
warns, naming where and what, never the value.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from protocols.jobs import AckState
from protocols.messages import AckBody, EventBody, EventKind, Health
from protocols.topics import DeviceChannel
from simulators.idcard_reader import IdCardReaderSim
from tests.e2e.privacy_capture import debug_everywhere, files_under, log_text, mqtt_recording
from tests.e2e.privacy_kiosk import TIMEOUT, kiosk
from tests.e2e.privacy_people import leaks, make_people


async def test_the_agent_masks_personal_data_in_whatever_it_sends(
    tmp_path: Path, uid: str, mosquitto_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    debug_everywhere(caplog)
    people = make_people(int(uid, 16), 2)
    a, b = (p.card for p in people)
    dev, job = f"kiosk-{uid}", f"job-{uid}"
    event = EventBody(
        kind=EventKind.PERIPHERAL_HEALTH,
        peripheral="idcard",
        health=Health.DEGRADED,
        reason=f"card {a.id_number} stuck",
        data={"姓名": a.name},
    )
    ack = AckBody(
        job_id=job, state=AckState.FAILED, message=f"for {b.id_number}", result={"id": b.id_number}
    )
    async with (
        mqtt_recording(mosquitto_url) as traffic,
        IdCardReaderSim(cards=[]) as reader,
        kiosk(mosquitto_url, dev, tmp_path, reader) as agent,
    ):
        sent = [
            await agent.link.publish_tracked(DeviceChannel.EVT, event),
            await agent.link.publish_tracked(DeviceChannel.ACK, ack),
        ]
        assert None not in sent
        async with asyncio.timeout(TIMEOUT):
            await asyncio.gather(*[f for f in sent if f is not None])  # the broker has them
        evt = await traffic.wait_for(lambda t, p: t.endswith("/evt") and b"stuck" in p, TIMEOUT)
        acked = await traffic.wait_for(
            lambda t, p: t.endswith("/ack") and job.encode() in p, TIMEOUT
        )
    places: dict[str, str | bytes] = {"logs": log_text(caplog)}
    places |= {f"MQTT {t} #{i}": payload for i, (t, payload) in enumerate(traffic.seen)}
    places |= {f"file {path}": data for path, data in files_under(tmp_path)}
    found = [leak for where, data in places.items() for leak in leaks(people, where, data)]
    assert not found, "raw personal data left the agent:\n" + "\n".join(found)
    first, second = people
    assert first.masked["id_number"].encode() in evt and first.masked["name"].encode() in evt
    assert acked.count(second.masked["id_number"].encode()) == 2
    logs = str(places["logs"])
    line = "personal data masked in an outgoing peripheral_health event (data.姓名: name; reason: "
    assert line + "id_number_18)" in logs
    assert f"personal data masked in an outgoing job ack of {job} (message: id_number_18; " in logs
