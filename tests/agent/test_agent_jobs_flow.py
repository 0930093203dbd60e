"""Jobs end to end: cloud-side MQTT client → agent → ESC/POS simulator, on both brokers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from edge_agent.agent import Agent
from edge_agent.config import AgentConfig, parse_config
from edge_agent.jobs.journal import JobRecord, Journal
from protocols.envelope import MAX_PAYLOAD_BYTES, Envelope, MsgType, Sender, decode, encode
from protocols.jobs import AckState, JobKind
from protocols.messages import AckBody, EventKind, Health, JobCancel, StateBody, make_job_run
from protocols.mqtt_url import parse_mqtt_url
from simulators.escpos_printer import EscPosPrinterSim, Faults

TIMEOUT = 10.0
CLOUD = Sender("cloud")
RECEIPT: dict[str, Any] = {
    "lines": [
        {"type": "text", "text": "黄河路街道办事处", "align": "center", "bold": True, "width": 2},
        {"type": "text", "text": "排队号：A012（请到 3 号窗口）"},
        {"type": "qr", "data": "https://kf.example/q/A012"},
        {"type": "feed", "lines": 2},
    ]
}


def make_config(url: str, dev: str, data_dir: Path, port: int, **printer: Any) -> AgentConfig:
    peripheral = {
        "type": "escpos_network",
        "id": "receipt",
        "host": "127.0.0.1",
        "port": port,
        "timeout_s": 2,
        "status_timeout_s": 2.0,  # the simulator answers from this loop: room for load
        **printer,
    }
    return parse_config(
        {
            "device_id": dev,
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "data_dir": str(data_dir),
            "health_interval_s": 3600,
            "tele_interval_s": 3600,
            "mqtt": {"url": url, "reconnect_min_s": 0.05, "reconnect_max_s": 0.5},
            "peripherals": [peripheral],
        },
        source="test",
    )


class Cloud:
    """The cloud side of one device: sends commands, collects acks and events."""

    def __init__(self, client: aiomqtt.Client, dev: str) -> None:
        self.client, self.dev = client, dev
        self.acks: asyncio.Queue[Envelope[Any]] = asyncio.Queue()
        self.events: asyncio.Queue[Envelope[Any]] = asyncio.Queue()
        self.tele: asyncio.Queue[Envelope[Any]] = asyncio.Queue()

    async def pump(self) -> None:
        queues = {"ack": self.acks, "evt": self.events, "tele": self.tele}
        mine = f"kf/v1/dev/{self.dev}/"
        async for msg in self.client.messages:
            # amqtt 0.12 also hands a new client retained messages of *other* clients'
            # subscriptions, so filter on the device rather than trusting the subscription
            topic = str(msg.topic)
            channel = topic.rsplit("/", 1)[-1]
            if topic.startswith(mine) and channel in queues and isinstance(msg.payload, bytes):
                queues[channel].put_nowait(decode(msg.payload))

    async def send(self, body: Any, ttl_ms: int | None = None) -> str:
        env = CLOUD.envelope(MsgType.CMD, body, ttl_ms=ttl_ms)
        await self.send_raw(encode(env))
        return env.id

    async def send_raw(self, payload: bytes) -> None:
        await self.client.publish(f"kf/v1/dev/{self.dev}/cmd", payload, qos=1)

    async def run(self, job_id: str, params: dict[str, Any] | None = None, **kw: Any) -> str:
        body = make_job_run(
            job_id=job_id, kind=JobKind.PRINT_RECEIPT, params=params or RECEIPT, **kw
        )
        return await self.send(body)

    async def ack(self) -> Envelope[Any]:
        async with asyncio.timeout(TIMEOUT):
            return await self.acks.get()

    async def acks_until_final(self, job_id: str) -> list[Envelope[Any]]:
        """Acks of ``job_id`` up to its first non-progress ack."""
        out: list[Envelope[Any]] = []
        while True:
            env = await self.ack()
            if env.body.job_id != job_id:
                continue
            out.append(env)
            if env.body.state not in (AckState.ACCEPTED, AckState.RUNNING):
                return out

    async def event(self, kind: EventKind) -> Envelope[Any]:
        async with asyncio.timeout(TIMEOUT):
            while True:
                env = await self.events.get()
                if env.body.kind is kind:
                    return env


@asynccontextmanager
async def setup(
    url: str, dev: str, config: AgentConfig, *, agent: Agent | None = None
) -> AsyncIterator[tuple[Agent, Cloud]]:
    ep = parse_mqtt_url(url)
    agent = agent or Agent(config)
    async with aiomqtt.Client(ep.host, ep.port, identifier=f"cloud-{dev}") as client:
        await client.subscribe(f"kf/v1/dev/{dev}/+", qos=1)
        cloud = Cloud(client, dev)
        pump = asyncio.create_task(cloud.pump())
        task = asyncio.create_task(agent.run())
        try:
            async with asyncio.timeout(TIMEOUT):
                await agent.wait_connected()
            yield agent, cloud
        finally:
            await agent.stop()
            await task
            await client.unsubscribe(f"kf/v1/dev/{dev}/+")
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)


def states(acks: list[Envelope[Any]]) -> list[AckState]:
    return [a.body.state for a in acks]


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[EscPosPrinterSim]:
    async with EscPosPrinterSim(out_dir=tmp_path / "receipts") as printer:
        yield printer


async def test_job_prints_chinese_receipt_with_qr(
    broker_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    cfg = make_config(broker_url, dev, tmp_path / "d", sim.port)
    async with setup(broker_url, dev, cfg) as (agent, cloud):
        cmd_id = await cloud.run("job-1")
        acks = await cloud.acks_until_final("job-1")
        [receipt] = await sim.wait_for_receipts(1)
    assert states(acks) == [AckState.ACCEPTED, AckState.RUNNING, AckState.SUCCEEDED]
    assert all(a.corr == cmd_id for a in acks)
    assert acks[-1].body.result["bytes"] > 0
    assert "黄河路街道办事处" in receipt.text
    assert "排队号：A012（请到 3 号窗口）" in receipt.text
    assert receipt.qr == ["https://kf.example/q/A012"] and receipt.cut
    assert receipt.meta[0].align == "center" and receipt.meta[0].bold
    assert agent.counters["jobs_succeeded"] == 1


async def test_duplicate_job_prints_once(
    broker_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    cfg = make_config(broker_url, dev, tmp_path / "d", sim.port)
    async with setup(broker_url, dev, cfg) as (agent, cloud):
        await cloud.run("job-dup")
        await cloud.acks_until_final("job-dup")
        again = await cloud.run("job-dup")
        resent = await cloud.ack()
        # a new job after the duplicate proves the duplicate was fully handled
        await cloud.run("job-next")
        await cloud.acks_until_final("job-next")
    assert resent.corr == again and resent.body.state is AckState.SUCCEEDED
    assert len(sim.receipts) == 2  # job-dup once, job-next once
    assert agent.counters["jobs_duplicate"] == 1


async def test_rejections_no_peripheral_unknown_kind_bad_params(
    broker_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    cfg = make_config(broker_url, dev, tmp_path / "d", sim.port, capabilities=["a4_print"])
    async with setup(broker_url, dev, cfg) as (agent, cloud):
        await cloud.run("job-cap")
        no_cap = await cloud.ack()
        # bad params fail the command's one decode; the agent salvages the job id to reject it
        bad_run = CLOUD.envelope(
            MsgType.CMD, make_job_run(job_id="job-bad", kind=JobKind.PRINT_RECEIPT, params=RECEIPT)
        )
        raw_bad = json.loads(encode(bad_run))
        raw_bad["body"]["params"] = {"lines": []}
        await cloud.send_raw(json.dumps(raw_bad).encode())
        bad = await cloud.ack()
        unknown = CLOUD.envelope(
            MsgType.CMD, make_job_run(job_id="job-a4", kind=JobKind.PRINT_RECEIPT, params=RECEIPT)
        )
        raw = encode(unknown).replace(b'"print_receipt"', b'"print_a4"')
        await cloud.send_raw(raw)
        kind = await cloud.ack()
    assert (no_cap.body.state, no_cap.body.reason) == (AckState.REJECTED, "no_peripheral")
    assert (bad.body.state, bad.body.reason) == (AckState.REJECTED, "bad_params")
    assert "lines" in bad.body.message
    assert (kind.body.job_id, kind.body.state) == ("job-a4", AckState.REJECTED)
    assert kind.body.reason == "unknown_kind" and kind.corr == unknown.id
    assert sim.receipts == []
    assert agent.rejected["invalid"] == 2


async def test_malformed_commands_are_counted_and_survived(
    broker_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    cfg = make_config(broker_url, dev, tmp_path / "d", sim.port)
    async with setup(broker_url, dev, cfg) as (agent, cloud):
        await cloud.send_raw(b"\xff not json")
        await cloud.send_raw(b"[1, 2]")
        await cloud.send_raw(b'{"v": 1, "type": "cmd", "body": {"op": "job.run"}}')
        await cloud.send_raw(b"{" + b" " * MAX_PAYLOAD_BYTES + b"}")
        state = CLOUD.envelope(MsgType.STATE, StateBody(online=True, bd_seq=1))
        await cloud.send_raw(encode(state))
        await cloud.run("job-after")
        acks = await cloud.acks_until_final("job-after")
        event = await cloud.event(EventKind.MESSAGE_REJECTED)
    assert states(acks)[-1] is AckState.SUCCEEDED
    assert agent.rejected == {
        "not_json": 1,
        "not_object": 1,
        "invalid": 1,
        "too_large": 1,
        "type_mismatch": 1,
    }
    assert event.body.reason == "not_json"
    assert event.body.data["topic"] == f"kf/v1/dev/{dev}/cmd"


async def test_unreachable_printer_fails_before_side_effect(
    broker_url: str, uid: str, tmp_path: Path
) -> None:
    from kfleet.world.net import free_port

    dev = f"kiosk-{uid}"
    cfg = make_config(broker_url, dev, tmp_path / "d", free_port())  # nothing listens
    async with setup(broker_url, dev, cfg) as (agent, cloud):
        await cloud.run("job-x")
        acks = await cloud.acks_until_final("job-x")
    assert states(acks) == [AckState.ACCEPTED, AckState.FAILED]
    assert acks[-1].body.reason == "printer_unreachable"
    assert agent.health["receipt"][0] is Health.OFFLINE


@pytest.mark.parametrize(
    ("faults", "status", "expected", "reason"),
    [
        (Faults(paper_out=True), "required", [AckState.FAILED], "paper_out"),
        (Faults(cover_open=True), "required", [AckState.FAILED], "cover_open"),
        (Faults(silent=True), "required", [AckState.FAILED], "printer_silent"),
        (Faults(silent=True), "best_effort", [AckState.RUNNING, AckState.UNCERTAIN],
         "printer_silent"),
        (Faults(drop_mid_job=40), "required", [AckState.RUNNING, AckState.UNCERTAIN],
         "connection_lost"),
    ],
    ids=["paper_out", "cover_open", "silent_required", "silent_best_effort", "drop_mid_job"],
)  # fmt: skip
async def test_printer_faults(
    broker_url: str,
    uid: str,
    tmp_path: Path,
    sim: EscPosPrinterSim,
    faults: Faults,
    status: str,
    expected: list[AckState],
    reason: str,
) -> None:
    dev = f"kiosk-{uid}"
    sim.faults = faults
    cfg = make_config(broker_url, dev, tmp_path / "d", sim.port, status=status)
    async with setup(broker_url, dev, cfg) as (agent, cloud):
        await cloud.run("job-f")
        acks = await cloud.acks_until_final("job-f")
    assert states(acks) == [AckState.ACCEPTED, *expected]
    assert acks[-1].body.reason == reason
    if expected[-1] is AckState.FAILED:
        assert sim.receipts == []  # refused before the side effect
    else:  # it may or may not have printed: a silent printer did, a dropped job did not
        assert agent.counters["jobs_uncertain"] == 1


async def test_health_event_after_paper_runs_out(
    broker_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    cfg = make_config(broker_url, dev, tmp_path / "d", sim.port)
    async with setup(broker_url, dev, cfg) as (_agent, cloud):
        sim.faults.paper_out = True
        await cloud.run("job-p")
        await cloud.acks_until_final("job-p")
        event = await cloud.event(EventKind.PERIPHERAL_HEALTH)
    assert (event.body.peripheral, event.body.health) == ("receipt", Health.OFFLINE)
    assert event.body.reason == "paper_out"


async def test_restart_turns_running_job_uncertain(
    broker_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    data = tmp_path / "d"
    journal = Journal(data / "jobs.sqlite3")
    running = AckBody(job_id="job-r", state=AckState.RUNNING)
    journal.put(
        JobRecord("job-r", 1, "cmd-00000001", "print_receipt", "receipt", "{}", None, running)
    )
    journal.close()
    cfg = make_config(broker_url, dev, data, sim.port)
    async with setup(broker_url, dev, cfg) as (_agent, cloud):
        ack = await cloud.ack()
        # the job is not run again, even if the cloud re-sends it
        await cloud.run("job-r")
        again = await cloud.ack()
    assert (ack.body.job_id, ack.body.state) == ("job-r", AckState.UNCERTAIN)
    assert ack.body.reason == "agent_restarted" and ack.corr == "cmd-00000001"
    assert again.body.state is AckState.UNCERTAIN
    assert sim.receipts == []


async def test_expired_and_canceled_jobs_do_not_print(
    broker_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    cfg = make_config(broker_url, dev, tmp_path / "d", sim.port)
    async with setup(broker_url, dev, cfg) as (_agent, cloud):
        expired = CLOUD.envelope(
            MsgType.CMD,
            make_job_run(job_id="job-old", kind=JobKind.PRINT_RECEIPT, params=RECEIPT),
            ttl_ms=0,
        )
        expired = expired.model_copy(update={"exp": expired.ts - 1})
        await cloud.send_raw(encode(expired))
        old = await cloud.acks_until_final("job-old")
        await cloud.send(JobCancel(job_id="job-c"))  # the cancel overtakes its job.run
        canceled = await cloud.ack()
        await cloud.run("job-c")
        late = await cloud.ack()
    assert states(old) == [AckState.FAILED] and old[0].body.reason == "expired"
    assert canceled.body.state is AckState.CANCELED
    assert late.body.state is AckState.CANCELED
    assert sim.receipts == []


async def test_telemetry_batch(uid: str, amqtt_url: str, tmp_path: Path) -> None:
    dev = f"kiosk-{uid}"
    cfg = make_config(amqtt_url, dev, tmp_path / "d", 1)
    cfg = cfg.model_copy(update={"tele_interval_s": 0.1})
    async with setup(amqtt_url, dev, cfg) as (_agent, cloud):
        async with asyncio.timeout(TIMEOUT):
            tele = await cloud.tele.get()
    names = {m.name for m in tele.body.metrics}
    assert {"uptime_s", "jobs_succeeded", "jobs_failed", "messages_rejected"} <= names
