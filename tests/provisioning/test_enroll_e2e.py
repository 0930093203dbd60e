"""THE end to end: Mosquitto with dynamic security, the real cloud managing it, a token minted
through the API, ``kfleet provision enroll`` in a subprocess writing the config, the real
agent started with that config, a print job through the API printed on the simulated ESC/POS
printer; then ``kfleet provision rotate`` while the agent runs, and the next job prints too."""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from cloud.broker_acl.access import ClientExists
from cloud.broker_acl.dynsec import open_dynsec
from kfleet.world.demo import queue_ticket
from provisioning.broker_check import prove
from provisioning.enroll_errors import BrokerRefused
from simulators.escpos_printer import EscPosPrinterSim, Faults
from tests.broker_acl.dynsec_broker import ADMIN, DynsecBroker, running_dynsec_broker
from tests.e2e.printed import receipts_naming
from tests.identity_kit import bearer
from tests.provisioning.agent_proc import agent_process, wait_online
from tests.provisioning.enroll_kit import LiveCloud, enroll, kfleet, live_cloud

CLOUD_USER, CLOUD_PASSWORD = "kf-cloud-e2e", "cloud-e2e-pass"
HHL = "qh/hx/golmud/hhl"


@pytest.fixture
async def dynsec() -> AsyncIterator[DynsecBroker]:
    with running_dynsec_broker() as b:
        async with open_dynsec(b.host, b.port, ADMIN, b.admin_password, shared_group="kf") as acl:
            await acl.ensure_roles()
            with contextlib.suppress(ClientExists):
                await acl.add_cloud_client(CLOUD_USER, CLOUD_PASSWORD)
        yield b


def _cloud_settings(b: DynsecBroker) -> dict[str, Any]:
    return {
        "mqtt_url": f"mqtt://{CLOUD_USER}:{CLOUD_PASSWORD}@{b.host}:{b.port}",
        "mqtt_shared_group": "kf",
        "broker_acl": "dynsec",
        "broker_admin_username": ADMIN,
        "broker_admin_password": b.admin_password,
        "device_mqtt_url": f"mqtt://{b.host}:{b.port}",
        "device_credential_grace_s": 0,  # a stale password on a blob call is a 401 at once
    }


def _prepared(config: Path, printer_port: int) -> None:
    """What the technician wrote before enrolling: the printers, no screen."""
    (config.parent / "a4").mkdir()
    config.write_text(
        "health_interval_s = 3600\ntele_interval_s = 3600\n[screen]\nenabled = false\n"
        "[mqtt]\nreconnect_min_s = 0.1\nreconnect_max_s = 1\n"
        f'[[peripherals]]\ntype = "escpos_network"\nid = "receipt"\nhost = "127.0.0.1"\n'
        f'port = {printer_port}\ncapabilities = ["receipt"]\n'
        f'[[peripherals]]\ntype = "a4_spool"\nid = "a4"\ndirectory = "{config.parent / "a4"}"\n',
        encoding="utf-8",
    )


async def _print(cloud: LiveCloud, device_id: str, number: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=cloud.base_url, timeout=40) as client:
        r = await client.post(
            "/api/v1/jobs",
            json={
                "kind": "print_receipt",
                "target": {"device_id": device_id},
                "params": queue_ticket("黄河路街道办事处", number),
            },
            headers=bearer(cloud.api_token),
        )
        assert r.status_code == 201, r.text
        r = await client.get(
            f"/api/v1/jobs/{r.json()['id']}",
            params={"wait_s": 30},
            headers=bearer(cloud.api_token),
        )
    job: dict[str, Any] = r.json()
    return job


async def test_token_to_printed_receipt_then_rotation_without_restart(
    tmp_path: Path, dynsec: DynsecBroker, uid: str
) -> None:
    device = f"kiosk-{uid}"
    printer = EscPosPrinterSim("127.0.0.1", 0, tmp_path / "receipts", Faults())
    await printer.start()
    config = tmp_path / "etc" / "agent.toml"
    config.parent.mkdir()
    _prepared(config, printer.port)
    try:
        async with live_cloud(tmp_path, "unused", **_cloud_settings(dynsec)) as cloud:
            minted = await cloud.mint(site=HHL, role="kiosk", device_id=device, name="1号机")
            ran = await enroll(cloud.base_url, minted["token"], config)
            assert ran.code == 0, ran
            async with agent_process(config, tmp_path / "agent.log") as agent:
                session = await wait_online(cloud.base_url, cloud.api_token, device)
                job = await _print(cloud, device, "A101")
                assert job["state"] == "succeeded", (job, (tmp_path / "agent.log").read_text())
                assert len(receipts_naming(printer.out_dir, "A101")) == 1
                old = _password(config)
                rotated = await kfleet("provision", "rotate", "--config", config)
                assert rotated.code == 0, rotated
                assert _password(config) != old
                with pytest.raises(BrokerRefused):  # the old password is off the broker
                    prove(f"mqtt://{dynsec.host}:{dynsec.port}", device, old, f"{device}-x")
                status = await kfleet("provision", "status", "--config", config)
                assert status.code == 0, status
                assert "online      yes" in status.out and "0 d 0 h old" in status.out
                await _kick(dynsec, device)  # the running agent must come back with the new one
                await wait_online(cloud.base_url, cloud.api_token, device, after_bd_seq=session)
                job = await _print(cloud, device, "A102")
                assert job["state"] == "succeeded", job
                assert len(receipts_naming(printer.out_dir, "A102")) == 1
                await _print_document(cloud, device, config.parent / "a4")
                assert agent.poll() is None  # the same agent process throughout
    finally:
        await printer.stop()


async def _print_document(cloud: LiveCloud, device: str, spool: Path) -> None:
    """A PDF through the blob store: the agent fetches it with its rotated Basic
    credentials (the old ones are a 401: no grace here) and the spool printer gets it byte
    for byte."""
    pdf = _pdf()
    digest = hashlib.sha256(pdf).hexdigest()
    auth = bearer(cloud.api_token)
    async with httpx.AsyncClient(base_url=cloud.base_url, timeout=40, headers=auth) as client:
        r = await client.post(f"/api/v1/blobs/{digest}/tokens", json={"op": "put"})
        assert r.status_code == 200, r.text
        r = await client.put(r.json()["url"], content=pdf)
        assert r.status_code in (200, 201), r.text
        body = {"kind": "print_document", "target": {"device_id": device},
                "params": {"document": digest, "title": "居住证明"}}  # fmt: skip
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 201, r.text
        r = await client.get(f"/api/v1/jobs/{r.json()['id']}", params={"wait_s": 30})
    assert r.json()["state"] == "succeeded", r.json()
    assert _spooled(spool) == [pdf]


def _spooled(spool: Path) -> list[bytes]:
    return [p.read_bytes() for p in spool.glob("*.pdf")]


def _pdf() -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.drawString(72, 720, "kfleet enrollment end to end")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


async def _kick(b: DynsecBroker, device: str) -> None:
    """Disconnect the device's session (dynsec kicks a client it disables), then let it in."""
    async with open_dynsec(b.host, b.port, ADMIN, b.admin_password, shared_group="kf") as acl:
        await acl.disable_device(device)
        await acl.enable_device(device)


def _password(config: Path) -> str:
    import tomllib

    return str(tomllib.loads(config.read_text(encoding="utf-8"))["mqtt"]["password"])
